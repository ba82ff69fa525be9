/** A label set as chips (`job="api"`), in name order. */
export function LabelChips({labels, testid}: {labels: Record<string, string>; testid?: string}) {
  const names = Object.keys(labels).sort()
  if (names.length === 0) return <span class="muted">none</span>
  return (
    <div class="label-set" data-testid={testid}>
      {names.map((k) => (
        <span class="label-chip" key={k}>
          {k}="{labels[k]}"
        </span>
      ))}
    </div>
  )
}
