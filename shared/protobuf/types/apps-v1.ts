/** k8s.io.api.apps.v1: Deployment (kubectl create deployment). */
import { bool, int32, int64, msg, msgs, str, type MessageSpec } from '../schema.ts';

const ptr = { ptr: true } as const;

export const appsV1: Record<string, MessageSpec> = {
  'apps.v1.Deployment': { 1: msg('metadata', 'meta.v1.ObjectMeta'), 2: msg('spec', 'apps.v1.DeploymentSpec'), 3: msg('status', 'apps.v1.DeploymentStatus') },
  'apps.v1.DeploymentSpec': {
    1: int32('replicas', ptr),
    2: msg('selector', 'meta.v1.LabelSelector', ptr),
    3: msg('template', 'core.v1.PodTemplateSpec'),
    4: msg('strategy', 'apps.v1.DeploymentStrategy'),
    5: int32('minReadySeconds'),
    6: int32('revisionHistoryLimit', ptr),
    7: bool('paused'),
    9: int32('progressDeadlineSeconds', ptr),
  },
  'apps.v1.DeploymentStrategy': { 1: str('type'), 2: msg('rollingUpdate', 'apps.v1.RollingUpdateDeployment', ptr) },
  'apps.v1.RollingUpdateDeployment': { 1: msg('maxUnavailable', 'IntOrString', ptr), 2: msg('maxSurge', 'IntOrString', ptr) },
  'apps.v1.DeploymentStatus': {
    1: int64('observedGeneration'),
    2: int32('replicas'),
    3: int32('updatedReplicas'),
    4: int32('availableReplicas'),
    5: int32('unavailableReplicas'),
    6: msgs('conditions', 'apps.v1.DeploymentCondition'),
    7: int32('readyReplicas'),
    8: int32('collisionCount', ptr),
    9: int32('terminatingReplicas', ptr),
  },
  'apps.v1.DeploymentCondition': {
    1: str('type'), 2: str('status'), 4: str('reason'), 5: str('message'), 6: msg('lastUpdateTime', 'Time'), 7: msg('lastTransitionTime', 'Time'),
  },
};
