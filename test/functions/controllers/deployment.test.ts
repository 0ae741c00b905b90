import { describe, expect, it } from 'vitest';
import {
  DESIRED_REPLICAS,
  maxSurge,
  maxUnavailable,
  podTemplateHash,
  reconcileDeployment,
  REVISION,
  REVISION_HISTORY,
  templatesEqualIgnoringHash,
  type DeploymentStatus,
} from '../../../functions/controllers/deployment.ts';
import type { ReplicaSet } from '../../../shared/api/kinds/replicaset.ts';
import { deployment, iso, ownerRef, replicaSet, T0 } from './builders.ts';
import { ClusterSim } from './cluster-sim.ts';

function rolloutToCompletion(sim: ClusterSim, check: () => void, rounds = 200): void {
  for (let i = 0; i < rounds; i++) {
    sim.reconcileDeployment();
    check();
    sim.reconcileReplicaSets();
    check();
    sim.tick();
    check();
    const s = sim.deployment.status;
    const done = s && s.updatedReplicas === sim.deployment.spec.replicas && s.replicas === s.updatedReplicas && s.availableReplicas === s.replicas
      && s.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable');
    if (done && sim.pods.length === sim.deployment.spec.replicas) return;
  }
  throw new Error('rollout did not finish');
}

function setImage(sim: ClusterSim, image: string): void {
  sim.deployment.spec.template.spec.containers[0].image = image;
  sim.deployment.metadata.generation = (sim.deployment.metadata.generation ?? 1) + 1;
}

describe('reconcileDeployment', () => {
  it.each([
    // [replicas, maxSurge, maxUnavailable, surge, unavailable]
    [10, 1, 0, 1, 0],
    [10, '25%', '25%', 3, 2],
    [3, '25%', '25%', 1, 0],
    [1, '25%', '25%', 1, 0],
    [10, 0, 0, 0, 1],
    [4, '50%', '50%', 2, 2],
    [5, '0%', '10%', 0, 1],
  ])('resolves %s replicas with maxSurge %s and maxUnavailable %s to surge %s and unavailable %s', (replicas, surge, unavailable, wantSurge, wantUnavailable) => {
    const d = deployment({ replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } });
    expect(maxSurge(d)).toBe(wantSurge);
    expect(maxUnavailable(d)).toBe(wantUnavailable);
  });

  it('hashes templates stably and ignores the pod-template-hash label when comparing', () => {
    const d = deployment();
    const h = podTemplateHash(d.spec.template);
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(podTemplateHash(structuredClone(d.spec.template))).toBe(h);
    expect(podTemplateHash(d.spec.template, 1)).not.toBe(h);
    const labelled = structuredClone(d.spec.template);
    labelled.metadata!.labels!['pod-template-hash'] = h;
    expect(templatesEqualIgnoringHash(labelled, d.spec.template)).toBe(true);
    expect(podTemplateHash(labelled)).toBe(h);
    expect(templatesEqualIgnoringHash(deployment({ image: 'nginx:2' }).spec.template, d.spec.template)).toBe(false);
  });

  it('creates the first ReplicaSet at full size with revision 1 and the NewReplicaSetCreated condition', () => {
    const d = deployment({ replicas: 3 });
    const r = reconcileDeployment({ deployment: d, replicaSets: [], pods: [], now: T0 });
    const hash = podTemplateHash(d.spec.template);
    const create = r.actions.find((a) => a.type === 'create');
    expect(create).toBeDefined();
    const rs = (create as unknown as { object: ReplicaSet }).object;
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.spec.replicas).toBe(3);
    expect(rs.spec.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.spec.template!.metadata!.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.metadata.annotations).toMatchObject({ [REVISION]: '1', [DESIRED_REPLICAS]: '3', 'deployment.kubernetes.io/max-replicas': '4' });
    expect(rs.metadata.ownerReferences).toEqual([ownerRef('Deployment', 'web')]);
    const update = r.actions.find((a) => a.type === 'update' && a.object.kind === 'Deployment');
    expect(update && update.type === 'update' && update.object.metadata.annotations?.[REVISION]).toBe('1');
    const status = r.status as DeploymentStatus;
    expect(status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "web-${hash}"` });
    expect(status.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' });
    expect(r.events?.[0].message).toBe(`Scaled up replica set web-${hash} from 0 to 3`);
  });

  it('rolls 10 replicas with maxSurge 1 and maxUnavailable 0 without ever exceeding 11 pods or dropping below 10 available', () => {
    const sim = new ClusterSim(deployment({ replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
    rolloutToCompletion(sim, () => expect(sim.pods.length).toBeLessThanOrEqual(11));
    expect(sim.availablePods()).toBe(10);
    setImage(sim, 'nginx:2');
    let maxPods = 0;
    let minAvailable = Infinity;
    rolloutToCompletion(sim, () => {
      maxPods = Math.max(maxPods, sim.pods.length);
      minAvailable = Math.min(minAvailable, sim.availablePods());
    });
    expect(maxPods).toBe(11);
    expect(minAvailable).toBe(10);
    expect(sim.replicaSets.map((rs) => rs.spec.replicas).sort()).toEqual([0, 10]);
    expect(sim.activePods().every((p) => p.spec.containers[0].image === 'nginx:2')).toBe(true);
    const status = sim.deployment.status!;
    expect(status).toMatchObject({ replicas: 10, updatedReplicas: 10, readyReplicas: 10, availableReplicas: 10, unavailableReplicas: 0, observedGeneration: 2 });
    const newRS = sim.replicaSets.find((rs) => rs.spec.replicas === 10)!;
    expect(status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${newRS.metadata.name}" has successfully progressed.` });
    expect(status.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(newRS.metadata.annotations?.[REVISION]).toBe('2');
    expect(sim.deployment.metadata.annotations?.[REVISION]).toBe('2');
  });

  it.each([
    ['25%/25%', { maxSurge: '25%', maxUnavailable: '25%' }, 13, 8],
    ['0/3', { maxSurge: 0, maxUnavailable: 3 }, 10, 7],
    ['2/1', { maxSurge: 2, maxUnavailable: 1 }, 12, 9],
  ])('keeps a %s rolling update of 10 replicas within its bounds', (_name, ru, maxTotal, minAvail) => {
    const sim = new ClusterSim(deployment({ replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: ru } }));
    rolloutToCompletion(sim, () => undefined);
    setImage(sim, 'nginx:2');
    let maxPods = 0;
    let minAvailable = Infinity;
    rolloutToCompletion(sim, () => {
      maxPods = Math.max(maxPods, sim.pods.length);
      minAvailable = Math.min(minAvailable, sim.availablePods());
    });
    expect(maxPods).toBeLessThanOrEqual(maxTotal);
    expect(minAvailable).toBeGreaterThanOrEqual(minAvail);
  });

  it('reuses the old ReplicaSet on undo, giving it the newest revision and recording the old one in revision-history', () => {
    const sim = new ClusterSim(deployment({ replicas: 2 }));
    rolloutToCompletion(sim, () => undefined);
    const first = sim.replicaSets[0].metadata.name;
    setImage(sim, 'nginx:2');
    rolloutToCompletion(sim, () => undefined);
    setImage(sim, 'nginx:1');
    rolloutToCompletion(sim, () => undefined);
    expect(sim.replicaSets).toHaveLength(2);
    const reused = sim.replicaSets.find((rs) => rs.metadata.name === first)!;
    expect(reused.spec.replicas).toBe(2);
    expect(reused.metadata.annotations?.[REVISION]).toBe('3');
    expect(reused.metadata.annotations?.[REVISION_HISTORY]).toBe('1');
    expect(sim.deployment.metadata.annotations?.[REVISION]).toBe('3');
  });

  it('scales old ReplicaSets to zero before creating the new one with Recreate', () => {
    const sim = new ClusterSim(deployment({ replicas: 3, strategy: { type: 'Recreate' } }));
    rolloutToCompletion(sim, () => undefined);
    setImage(sim, 'nginx:2');
    let sawOldAndNew = false;
    rolloutToCompletion(sim, () => {
      const images = new Set(sim.pods.map((p) => p.spec.containers[0].image));
      if (images.size > 1) sawOldAndNew = true;
    });
    expect(sawOldAndNew).toBe(false);
    expect(sim.activePods().every((p) => p.spec.containers[0].image === 'nginx:2')).toBe(true);
  });

  it('deletes the oldest idle ReplicaSets beyond revisionHistoryLimit', () => {
    const sim = new ClusterSim(deployment({ replicas: 1, revisionHistoryLimit: 1 }));
    for (const image of ['nginx:1', 'nginx:2', 'nginx:3', 'nginx:4']) {
      setImage(sim, image);
      rolloutToCompletion(sim, () => undefined);
    }
    sim.reconcileDeployment();
    expect(sim.replicaSets.map((rs) => rs.metadata.annotations?.[REVISION]).sort()).toEqual(['3', '4']);
  });

  it('does not roll out while paused and reports DeploymentPaused, then DeploymentResumed', () => {
    const sim = new ClusterSim(deployment({ replicas: 2 }));
    rolloutToCompletion(sim, () => undefined);
    sim.deployment.spec.paused = true;
    setImage(sim, 'nginx:2');
    for (let i = 0; i < 5; i++) {
      sim.reconcileDeployment();
      sim.reconcileReplicaSets();
      sim.tick();
    }
    expect(sim.replicaSets).toHaveLength(1);
    expect(sim.deployment.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' });
    sim.deployment.spec.paused = false;
    sim.reconcileDeployment();
    expect(sim.replicaSets).toHaveLength(2);
    rolloutToCompletion(sim, () => undefined);
    expect(sim.activePods().every((p) => p.spec.containers[0].image === 'nginx:2')).toBe(true);
  });

  it('scales while paused', () => {
    const sim = new ClusterSim(deployment({ replicas: 2 }));
    rolloutToCompletion(sim, () => undefined);
    sim.deployment.spec.paused = true;
    sim.deployment.spec.replicas = 5;
    sim.reconcileDeployment();
    expect(sim.replicaSets[0].spec.replicas).toBe(5);
    expect(sim.replicaSets[0].metadata.annotations?.[DESIRED_REPLICAS]).toBe('5');
  });

  it('scales ReplicaSets proportionally when replicas change mid-rollout', () => {
    const d = deployment({ replicas: 20, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } }, image: 'nginx:2' });
    const hash = podTemplateHash(d.spec.template);
    const ann = { [DESIRED_REPLICAS]: '10', 'deployment.kubernetes.io/max-replicas': '13' };
    const oldRS = replicaSet('web-old', 8, { owner: ownerRef('Deployment', 'web'), status: { replicas: 8, availableReplicas: 8 } });
    oldRS.metadata.annotations = { ...ann, [REVISION]: '1' };
    const newTemplate = structuredClone(d.spec.template);
    newTemplate.metadata!.labels!['pod-template-hash'] = hash;
    const newRS = replicaSet(`web-${hash}`, 5, { owner: ownerRef('Deployment', `web`), template: newTemplate, status: { replicas: 5, availableReplicas: 5 } });
    newRS.metadata.uid = 'uid-new';
    newRS.metadata.creationTimestamp = iso(T0, 10);
    newRS.metadata.annotations = { ...ann, [REVISION]: '2' };
    const r = reconcileDeployment({ deployment: d, replicaSets: [oldRS, newRS], pods: [], now: T0 });
    const sizes = Object.fromEntries(r.actions.filter((a) => a.type === 'update' && a.object.kind === 'ReplicaSet').map((a) => [(a as unknown as { object: ReplicaSet }).object.metadata.name, (a as unknown as { object: ReplicaSet }).object.spec.replicas]));
    // 13 → 23 allowed pods: the old set grows from 8 to 14 (8*23/13 ≈ 14.15), the new one takes the rest (9).
    expect(sizes).toEqual({ 'web-old': 14, [`web-${hash}`]: 9 });
  });

  it('marks Progressing False with ProgressDeadlineExceeded when a rollout stalls past its deadline', () => {
    const sim = new ClusterSim(deployment({ replicas: 2, progressDeadlineSeconds: 30 }));
    rolloutToCompletion(sim, () => undefined);
    sim.neverReady = (p) => p.spec.containers[0].image === 'nginx:broken';
    setImage(sim, 'nginx:broken');
    let requeue: number | undefined;
    for (let i = 0; i < 5; i++) {
      requeue = sim.reconcileDeployment().requeueAfterMs ?? requeue;
      sim.reconcileReplicaSets();
      sim.tick();
    }
    expect(requeue).toBeGreaterThan(0);
    sim.now = new Date(sim.now.getTime() + 31_000);
    sim.reconcileDeployment();
    const newRS = sim.replicaSets.find((rs) => rs.metadata.annotations?.[REVISION] === '2')!;
    expect(sim.deployment.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${newRS.metadata.name}" has timed out progressing.`,
    });
    // Availability is kept: the old pods were not all replaced by broken ones.
    expect(sim.availablePods()).toBeGreaterThanOrEqual(1);
  });

  it('adopts an orphaned ReplicaSet that matches the selector', () => {
    const d = deployment();
    const rs = replicaSet('web-orphan', 3, { template: d.spec.template });
    const r = reconcileDeployment({ deployment: d, replicaSets: [rs], pods: [], now: T0 });
    const adopt = r.actions.find((a) => a.type === 'update' && a.object.kind === 'ReplicaSet');
    expect(adopt && adopt.type === 'update' && adopt.object.metadata.ownerReferences).toEqual([ownerRef('Deployment', 'web')]);
    expect(r.actions.some((a) => a.type === 'create')).toBe(false);
  });

  it('is idempotent: a settled deployment yields no actions and no status change', () => {
    const sim = new ClusterSim(deployment({ replicas: 3 }));
    rolloutToCompletion(sim, () => undefined);
    const r = sim.reconcileDeployment();
    expect(r.actions).toEqual([]);
    expect(r.status).toBeUndefined();
  });
});
