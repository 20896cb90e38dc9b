import { describe, expect, it } from '@jest/globals';
import { applyJsonPatch, applyMergePatch, applyServerSideApply, applyStrategicMergePatch } from './patches.js';

describe('patches', () => {
  it('JSON patch: add, replace, remove, escaped pointers', () => {
    const doc = { metadata: { annotations: { 'a/b': '1' } }, list: [1, 2] };
    const out = applyJsonPatch(doc, [
      { op: 'replace', path: '/metadata/annotations/a~1b', value: '2' },
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'remove', path: '/list/0' },
    ]);
    expect(out).toEqual({ metadata: { annotations: { 'a/b': '2' } }, list: [2, 3] });
    expect(doc.list).toEqual([1, 2]); // input untouched
  });

  it('merge patch: null deletes, lists replace', () => {
    expect(applyMergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1] }, { a: null, b: { c: 5 }, l: [2] })).toEqual({ b: { c: 5, d: 3 }, l: [2] });
  });

  it('strategic merge: Service ports merge by port, $patch: delete removes an item', () => {
    const svc = { spec: { ports: [{ port: 80, name: 'http' }, { port: 443, name: 'https' }] } };
    expect(applyStrategicMergePatch(svc, { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443, $patch: 'delete' }] } })).toEqual({
      spec: { ports: [{ port: 80, name: 'http', targetPort: 8080 }] },
    });
  });

  it('server-side apply removes what the manager applied before and dropped now, keeps what others set', () => {
    const before = { metadata: { labels: { a: '1', b: '2' } } };
    const live = { metadata: { labels: { a: '1', b: '2', other: 'x' } } };
    expect(applyServerSideApply(live, { metadata: { labels: { a: '1' } } }, before)).toEqual({ metadata: { labels: { a: '1', other: 'x' } } });
  });
});
