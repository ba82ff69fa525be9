/**
 * functions/: numeric kernels of PromQL functions and aggregations, exactly as Prometheus 3
 * computes them (the same summation order, Kahan compensation and incremental means), so
 * results match its test scripts. No allocation per call: kernels take typed-array windows.
 *
 * kahan.ts: compensated summation (Prometheus promql/functions.go kahanSumInc). Returns the
 * new sum and writes the compensation into `out` to avoid allocating a pair per step.
 */
export const kahanOut = {c: 0}

export function kahanSumInc(inc: number, sum: number, c: number): number {
  const t = sum + inc
  if (!Number.isFinite(t)) c = 0
  else if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc
  else c += inc - t + sum
  kahanOut.c = c
  return t
}
