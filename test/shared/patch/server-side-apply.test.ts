import { describe, expect, it } from 'vitest';
import { isStatusError, type StatusError } from '../../../shared/api/status.ts';
import { parseApplyPatch, recordUpdateManager, serverSideApply, type ApplyRequest } from '../../../shared/patch/server-side-apply.ts';

type Obj = Record<string, unknown>;
const now = new Date('2026-11-23T10:00:00.123Z');
const later = new Date('2026-11-23T11:00:00Z');
const deploymentKind = { group: 'apps', kind: 'Deployment' };
const resource = { group: 'apps', resource: 'deployments' };

function config(overrides: { replicas?: number; image?: string; labels?: Record<string, string>; containers?: Obj[] } = {}): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: overrides.labels ?? { app: 'web' } },
    spec: {
      ...(overrides.replicas !== undefined ? { replicas: overrides.replicas } : {}),
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: overrides.containers ?? [{ name: 'nginx', image: overrides.image ?? 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
      },
    },
  };
}

function apply(live: Obj | undefined, applied: Obj, fieldManager: string, extra: Partial<ApplyRequest> = {}) {
  return serverSideApply({ live, applied, fieldManager, force: false, kind: deploymentKind, resource, name: 'web', now, ...extra });
}

/** What the store would add on create: system metadata and defaults nobody owns. */
function stored(obj: Obj): Obj {
  const out = structuredClone(obj) as { metadata: Obj; spec: { template: { spec: { containers: Obj[] } } } };
  Object.assign(out.metadata, { uid: 'u1', resourceVersion: '5', generation: 1, creationTimestamp: '2026-11-23T10:00:00Z' });
  for (const c of out.spec.template.spec.containers) {
    c.imagePullPolicy = 'IfNotPresent';
    for (const p of (c.ports as Obj[] | undefined) ?? []) p.protocol = 'TCP';
  }
  return out;
}

function conflictOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (isStatusError(err)) return err;
    throw err;
  }
  throw new Error('expected a conflict');
}

const managed = (o: Obj) => (o.metadata as { managedFields: Array<Obj> }).managedFields;
const spec = (o: Obj) => o.spec as { replicas?: number; template: { spec: { containers: Obj[] } } };

describe('serverSideApply', () => {
  it('creates the object when none exists, recording the manager in fieldsV1 form', () => {
    const { object, created } = apply(undefined, config({ replicas: 2 }), 'kubectl');
    expect(created).toBe(true);
    expect(spec(object).replicas).toBe(2);
    expect(managed(object)).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: '2026-11-23T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
              'f:spec': {
                'f:containers': {
                  'k:{"name":"nginx"}': {
                    '.': {},
                    'f:image': {},
                    'f:name': {},
                    'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                  },
                },
              },
            },
          },
        },
      },
    ]);
  });

  it('merges a re-apply into the live object, keeping defaults and fields nobody applied', () => {
    const live = stored(apply(undefined, config(), 'helm').object);
    (live.status as unknown) = { replicas: 1 };
    const { object, created } = apply(live, config({ image: 'nginx:1.28' }), 'helm', { now: later });
    expect(created).toBe(false);
    expect(spec(object).template.spec.containers).toEqual([
      { name: 'nginx', image: 'nginx:1.28', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80, protocol: 'TCP' }] },
    ]);
    expect(object.status).toEqual({ replicas: 1 });
    expect((object.metadata as Obj).uid).toBe('u1');
    expect(managed(object)).toHaveLength(1);
    expect(managed(object)[0].time).toBe('2026-11-23T11:00:00Z');
  });

  it('removes fields the manager applied before and no longer applies', () => {
    const live = stored(apply(undefined, config({ replicas: 2, labels: { app: 'web', tier: 'fe' } }), 'helm').object);
    const { object } = apply(live, config({ labels: { app: 'web' } }), 'helm');
    expect((object.metadata as Obj).labels).toEqual({ app: 'web' });
    expect(spec(object).replicas).toBeUndefined();
  });

  it('removes a container the manager no longer applies', () => {
    const two = config({ containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] });
    const live = stored(apply(undefined, two, 'helm').object);
    const { object } = apply(live, config({ containers: [{ name: 'a', image: 'x' }] }), 'helm');
    expect(spec(object).template.spec.containers.map((c) => c.name)).toEqual(['a']);
  });

  it('keeps a field another manager still owns when this manager drops it', () => {
    const live = stored(apply(undefined, config({ labels: { app: 'web', tier: 'fe' } }), 'helm').object);
    const both = apply(live, config({ labels: { tier: 'fe' } }), 'ops').object;
    const { object } = apply(both, config({ labels: { app: 'web' } }), 'helm');
    expect((object.metadata as Obj).labels).toEqual({ app: 'web', tier: 'fe' });
  });

  it('reports a conflict with another Apply manager, in apiserver wording', () => {
    const live = stored(apply(undefined, config({ replicas: 2 }), 'mgr').object);
    const err = conflictOf(() => apply(live, config({ replicas: 3 }), 'kubectl'));
    expect(err.code).toBe(409);
    expect(err.reason).toBe('Conflict');
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "mgr" using apps/v1: .spec.replicas');
    expect(err.details?.causes).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "mgr" using apps/v1', field: '.spec.replicas' }]);
  });

  it('lists every conflicting field', () => {
    const live = stored(apply(undefined, config({ replicas: 2 }), 'mgr').object);
    const err = conflictOf(() => apply(live, config({ replicas: 3, image: 'other' }), 'kubectl'));
    expect(err.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "mgr" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image',
    );
  });

  it('takes the field over with force', () => {
    const live = stored(apply(undefined, config({ replicas: 2 }), 'mgr').object);
    const { object } = apply(live, config({ replicas: 3 }), 'kubectl', { force: true });
    expect(spec(object).replicas).toBe(3);
    const mgr = managed(object).find((e) => e.manager === 'mgr')!;
    expect((mgr.fieldsV1 as { 'f:spec': Obj })['f:spec']).not.toHaveProperty('f:replicas');
    const kubectl = managed(object).find((e) => e.manager === 'kubectl')!;
    expect((kubectl.fieldsV1 as { 'f:spec': Obj })['f:spec']).toHaveProperty('f:replicas');
  });

  it('shares a field two managers apply with the same value', () => {
    const live = stored(apply(undefined, config({ replicas: 2 }), 'mgr').object);
    const { object } = apply(live, config({ replicas: 2 }), 'kubectl');
    expect(managed(object).map((e) => e.manager)).toEqual(['mgr', 'kubectl']);
  });

  it('does not conflict with an Update manager and takes the field from it', () => {
    const created = stored(apply(undefined, config({ replicas: 2 }), 'helm').object);
    const scaled = recordUpdateManager(created, { ...created, spec: { ...spec(created), replicas: 5 } }, 'kubectl-scale', 'apps/v1', now);
    expect(managed(scaled).map((e) => `${e.manager}/${e.operation}`)).toEqual(['helm/Apply', 'kubectl-scale/Update']);
    const { object } = apply(scaled, config({ replicas: 2 }), 'helm');
    expect(spec(object).replicas).toBe(2);
    expect(managed(object).map((e) => e.manager)).toEqual(['helm']);
  });

  it.each([
    ['no field manager', { fieldManager: undefined }, 400],
    ['no kind', { applied: { apiVersion: 'v1', metadata: { name: 'x' } } }, 400],
  ])('rejects an apply with %s', (_name, extra, code) => {
    expect(conflictOf(() => apply(undefined, config(), 'x', extra as Partial<ApplyRequest>)).code).toBe(code);
  });
});

describe('parseApplyPatch', () => {
  it.each([
    ['JSON, as kubectl and helm send', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"b"}}'],
    ['YAML', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n'],
  ])('parses %s', (_name, body) => {
    expect(parseApplyPatch(Buffer.from(body))).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } });
  });

  it.each([['a list', '- a\n- b\n'], ['broken YAML', 'a: [']])('rejects %s with 400', (_name, body) => {
    expect(conflictOf(() => parseApplyPatch(body)).code).toBe(400);
  });
});

describe('recordUpdateManager', () => {
  const cm = (data: Obj, labels: Obj = { app: 'x' }): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', uid: 'u', labels }, data });

  it('gives the creator every field on create', () => {
    const out = recordUpdateManager(undefined, cm({ a: '1' }), 'kubectl-create', 'v1', now);
    expect(managed(out)).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: '2026-11-23T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
      },
    ]);
  });

  it('moves changed fields to the updater and forgets deleted ones', () => {
    const created = recordUpdateManager(undefined, cm({ a: '1', b: '2' }), 'kubectl-create', 'v1', now);
    const edited = recordUpdateManager(created, { ...cm({ a: '9' }), metadata: (created as { metadata: Obj }).metadata }, 'kubectl-edit', 'v1', later);
    expect(managed(edited).map((e) => [e.manager, e.fieldsV1])).toEqual([
      ['kubectl-create', { 'f:data': {}, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } }],
      ['kubectl-edit', { 'f:data': { 'f:a': {} } }],
    ]);
  });

  it('leaves the object alone without a manager and does not modify its input', () => {
    const obj = cm({ a: '1' });
    expect(recordUpdateManager(undefined, obj, undefined, 'v1', now)).toBe(obj);
    const before = structuredClone(obj);
    recordUpdateManager(undefined, obj, 'm', 'v1', now);
    expect(obj).toEqual(before);
  });
});

describe('serverSideApply with the body helm 4 sends', () => {
  // Captured from `helm install rel ./chart` (PATCH …/configmaps/demo-cm?fieldManager=helm&force=false).
  const helmBody =
    '{"apiVersion":"v1","data":{"a":"b"},"kind":"ConfigMap","metadata":{"annotations":{"meta.helm.sh/release-name":"rel","meta.helm.sh/release-namespace":"default"},"labels":{"app.kubernetes.io/managed-by":"Helm"},"name":"demo-cm","namespace":"default"}}';
  const cmKind = { group: '', kind: 'ConfigMap' };
  const cmResource = { group: '', resource: 'configmaps' };

  it('creates on install and, on upgrade, drops the keys the chart no longer renders', () => {
    const install = serverSideApply({
      live: undefined, applied: parseApplyPatch(helmBody), fieldManager: 'helm', force: false, kind: cmKind, resource: cmResource, name: 'demo-cm', now,
    });
    expect(install.created).toBe(true);
    const live = { ...install.object, metadata: { ...(install.object.metadata as Obj), uid: 'u', resourceVersion: '1' } };
    const upgradeBody = JSON.parse(helmBody) as { data: Obj };
    upgradeBody.data = { c: 'd' };
    const upgrade = serverSideApply({
      live, applied: upgradeBody, fieldManager: 'helm', force: false, kind: cmKind, resource: cmResource, name: 'demo-cm', now: later,
    });
    expect(upgrade.created).toBe(false);
    expect(upgrade.object.data).toEqual({ c: 'd' });
    expect((upgrade.object.metadata as Obj).annotations).toEqual({ 'meta.helm.sh/release-name': 'rel', 'meta.helm.sh/release-namespace': 'default' });
    expect((upgrade.object.metadata as Obj).uid).toBe('u');
  });
});
