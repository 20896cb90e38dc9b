import { describe, expect, it } from '@jest/globals';
import { CIRCLE_LABELS } from './cluster-labels.js';
import { podSelector, serviceName, serviceSelector, toLabelValue, workloadName } from './cluster-object-names.js';
import { workloadProgress } from './workload-progress.js';

describe('cluster object names', () => {
  it('names workloads per track and Services per role', () => {
    expect(workloadName('checkout', 'canary')).toBe('checkout-canary');
    expect(serviceName('checkout', 'main')).toBe('checkout');
    expect(serviceName('checkout', 'preview')).toBe('checkout-preview');
  });

  it('selects pods by application and track, never by version (Deployment selectors are immutable)', () => {
    expect(podSelector('checkout', 'blue')).toEqual({ [CIRCLE_LABELS.application]: 'checkout', [CIRCLE_LABELS.track]: 'blue' });
    expect(serviceSelector('checkout', null)).toEqual({ [CIRCLE_LABELS.application]: 'checkout' });
  });

  it('turns any string into a valid label value', () => {
    expect(toLabelValue('1.4.0+build.7')).toBe('1.4.0_build.7');
    expect(toLabelValue('-weird/value-')).toBe('weird_value');
    expect(toLabelValue('x'.repeat(80))).toHaveLength(63);
  });
});

describe('workloadProgress', () => {
  const base = { generation: 2, observedGeneration: 2, desiredReplicas: 4, replicas: 4, updatedReplicas: 4, availableReplicas: 4, conditions: [] };

  it('is complete only when the latest spec is observed and every replica is updated and available', () => {
    expect(workloadProgress(base)).toBe('complete');
    expect(workloadProgress({ ...base, observedGeneration: 1 })).toBe('progressing');
    // One old pod still terminating: 5 replicas for 4 desired.
    expect(workloadProgress({ ...base, replicas: 5 })).toBe('progressing');
    expect(workloadProgress({ ...base, availableReplicas: 3 })).toBe('progressing');
  });

  it('is failed when the controller reports ProgressDeadlineExceeded', () => {
    expect(workloadProgress({ ...base, availableReplicas: 0, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] })).toBe('failed');
  });
});
