/**
 * Prometheus targets, metadata and exemplars JSON → messages, on the details the end-to-end
 * test (test/core/sidecar/globalview.test.ts) does not reach: health values, fields the
 * message lacks, metadata order and limits, exemplar values and timestamps.
 */
import assert from 'node:assert/strict'
import {errorKind} from '../../../src/core/errors.js'
import {exemplarDataFromPrometheus} from '../../../src/core/globalview/exemplars.js'
import {TargetHealth} from '../../../src/core/globalview/messages.js'
import {metadataLimitParam, metricMetadataFromPrometheus} from '../../../src/core/globalview/metadata.js'
import {targetDiscoveryFromPrometheus, targetsStateParam} from '../../../src/core/globalview/targets.js'
import {labelsFromRecord, labelsToRecord} from '../../../src/core/labels/labels.js'

const EXT = labelsFromRecord({cluster: 'c1'})

describe('globalview targets, metadata, exemplars', () => {
  it('targets: health by name, external labels on both label sets, Prometheus 3 extras left out', () => {
    const d = targetDiscoveryFromPrometheus(
      {
        activeTargets: [
          {discoveredLabels: {__address__: 'a:1', job: 'x'}, labels: {instance: 'a:1', job: 'x'}, scrapePool: 'x', scrapeUrl: 'http://a:1/metrics', globalUrl: 'http://h:1/metrics', lastError: '', lastScrape: '2026-12-01T22:05:38.5Z', lastScrapeDuration: 0.01, health: 'up', scrapeInterval: '10s', scrapeTimeout: '10s'},
          {discoveredLabels: {}, labels: {}, health: 'unknown', lastScrape: '0001-01-01T00:00:00Z'},
          {discoveredLabels: {}, labels: {}, health: 'down'},
        ],
        droppedTargets: [{discoveredLabels: {__address__: 'b:1'}, scrapePool: 'y'}],
        droppedTargetCounts: {y: 1},
      },
      EXT,
    )
    assert.deepEqual(d.activeTargets.map((t) => t.health), [TargetHealth.UP, TargetHealth.UNKNOWN, TargetHealth.DOWN])
    assert.deepEqual(labelsToRecord(d.activeTargets[0]!.discoveredLabels.labels), {__address__: 'a:1', cluster: 'c1', job: 'x'})
    assert.deepEqual(labelsToRecord(d.activeTargets[0]!.labels.labels), {cluster: 'c1', instance: 'a:1', job: 'x'})
    assert.deepEqual(d.activeTargets[0]!.lastScrape, {seconds: Date.UTC(2026, 11, 1, 22, 5, 38) / 1000, nanos: 500_000_000})
    assert.deepEqual(Object.keys(d.activeTargets[0]!).sort(), ['discoveredLabels', 'globalUrl', 'health', 'labels', 'lastError', 'lastScrape', 'lastScrapeDuration', 'scrapePool', 'scrapeUrl'])
    assert.deepEqual(d.droppedTargets, [{discoveredLabels: {labels: labelsFromRecord({__address__: 'b:1', cluster: 'c1'})}}])
    assert.throws(() => targetDiscoveryFromPrometheus({activeTargets: [{health: 'sideways'}]}, EXT), (e) => errorKind(e) === 'internal')
    assert.deepEqual([0, 1, 2].map(targetsStateParam), [undefined, 'active', 'dropped'])
  })

  it('metadata: families sorted, limit sent when not negative', () => {
    const md = metricMetadataFromPrometheus({z: [{type: 'gauge', help: 'Z', unit: ''}], a: [{type: 'counter', help: 'A', unit: 'seconds'}]})
    assert.deepEqual(Object.keys(md.metadata), ['a', 'z'])
    assert.deepEqual(md.metadata.a, {metas: [{type: 'counter', help: 'A', unit: 'seconds'}]})
    assert.deepEqual(Object.keys(metricMetadataFromPrometheus(JSON.parse('{"__proto__": [{"type": "gauge"}]}')).metadata), ['__proto__'])
    assert.deepEqual([-1, 0, 5].map(metadataLimitParam), [undefined, '0', '5'])
  })

  it('exemplars: values as Go parses them, timestamps in ms, external labels on series labels only', () => {
    const [d] = exemplarDataFromPrometheus(
      [
        {
          seriesLabels: {__name__: 'x_total', job: 'j'},
          exemplars: [
            {labels: {trace_id: 'a'}, value: '+Inf', timestamp: 1796162731.123},
            {labels: {}, value: '-2.5e-3', timestamp: 1.001},
          ],
        },
      ],
      EXT,
    )
    assert.deepEqual(labelsToRecord(d!.seriesLabels.labels), {__name__: 'x_total', cluster: 'c1', job: 'j'})
    assert.deepEqual(
      d!.exemplars.map((e) => [labelsToRecord(e.labels.labels), e.value, e.ts]),
      [
        [{trace_id: 'a'}, Infinity, 1796162731123],
        [{}, -0.0025, 1001],
      ],
    )
    assert.throws(() => exemplarDataFromPrometheus([{exemplars: [{value: 1}]}], EXT), (e) => errorKind(e) === 'internal', 'an unquoted value fails, as model.SampleValue')
    assert.deepEqual(exemplarDataFromPrometheus(null, EXT), [])
  })
})
