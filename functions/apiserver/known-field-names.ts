/**
 * Every JSON field name the Kubernetes API uses, as far as this server can tell: the keys of every kind's zod
 * schema, every protobuf field name of shared/protobuf, and a list of API field names that neither covers yet.
 *
 * Why: the kind schemas are looseObjects that name the fields the server reads, not every field of the API. A
 * fieldValidation check against the schemas alone would reject (Strict) or drop (Warn) real fields such as
 * `spec.topologySpreadConstraints`. So a field counts as unknown only when its schema does not declare it AND its
 * name is no Kubernetes field name at all: typos (`replicaz`, `imagePolicy`, `foo`) are caught; a real field in a
 * wrong place is let through, which loses nothing.
 */
import type { z } from 'zod';
import type { ResourceType } from '../../shared/api/resource-type.ts';
import { registry as protobufMessages } from '../../shared/protobuf/kubernetes-protobuf.ts';
import { defOf } from './field-validation.ts';

/** k8s.io/api field names missing from both the kind schemas and the protobuf messages (core, apps, batch,
 *  networking, policy, storage, rbac, coordination, discovery). Grows as gaps are found; extra names cost nothing. */
const API_FIELD_NAMES = `
accessModes activeDeadlineSeconds addresses allocateLoadBalancerNodePorts allowPrivilegeEscalation appArmorProfile
appProtocol audience automountServiceAccountToken awsElasticBlockStore azureDisk azureFile backoffLimit
backoffLimitPerIndex binaryData blockOwnerDeletion capabilities cephfs cinder claimName claims clientIP
clusterIP clusterIPs clusterTrafficPolicy command completionMode completions concurrencyPolicy conditionType
conditions configMap configMapKeyRef configMapRef containerName containerPort containers controller csi
dataSource dataSourceRef defaultMode devicePath divisor dnsConfig dnsPolicy downwardAPI driver emptyDir
enableServiceLinks endpoints env envFrom ephemeral ephemeralContainers exec expirationSeconds externalIPs
externalName externalTrafficPolicy failedJobsHistoryLimit failureThreshold fc fieldPath fieldRef finalizers
flexVolume flocker fsGroup fsGroupChangePolicy fsType gcePersistentDisk gitRepo glusterfs grpc hostAliases
hostIP hostIPC hostNetwork hostPID hostPath hostPort hostUsers hostname hostnames httpGet httpHeaders
image imagePullPolicy imagePullSecrets initContainers initialDelaySeconds internalTrafficPolicy ip ipFamilies
ipFamilyPolicy iscsi items key labelSelector lifecycle limits livenessProbe loadBalancerClass loadBalancerIP
loadBalancerSourceRanges localhostProfile manualSelector matchExpressions matchFields matchLabelKeys
matchLabels maxReplicas maxSkew maxSurge maxUnavailable medium minDomains minReadySeconds mode
mountPath mountPropagation name nameservers namespaceSelector namespaces nfs nodeAffinity nodeAffinityPolicy
nodeName nodePort nodeSelector nodeSelectorTerms nodeTaintsPolicy operator optional options ordinals os
overhead parallelism partition path paused periodSeconds persistentVolumeClaim persistentVolumeClaimRetentionPolicy
photonPersistentDisk podAffinity podAffinityTerm podAntiAffinity podFailurePolicy podManagementPolicy
podReplacementPolicy portworxVolume ports postStart preStop preemptionPolicy preference
preferredDuringSchedulingIgnoredDuringExecution prefix priority priorityClassName privileged procMount
progressDeadlineSeconds projected protocol publishNotReadyAddresses quobyte rbd readOnly readOnlyRootFilesystem
readinessGates readinessProbe recursiveReadOnly requests requiredDuringSchedulingIgnoredDuringExecution
resizePolicy resourceClaims resourceFieldRef resourceName resources restartPolicy revisionHistoryLimit rollingUpdate
rules runAsGroup runAsNonRoot runAsUser runtimeClassName scaleIO scheme schedule schedulerName schedulingGates
searches seLinuxChangePolicy seLinuxOptions seccompProfile secret secretKeyRef secretName secretRef
securityContext selector serviceAccount serviceAccountName serviceAccountToken serviceName sessionAffinity
sessionAffinityConfig setHostnameAsFQDN shareProcessNamespace sizeLimit sources startingDeadlineSeconds
startupProbe stdin stdinOnce storage storageClassName storageos strategy subPath subPathExpr subdomain
successThreshold successfulJobsHistoryLimit supplementalGroups supplementalGroupsPolicy suspend sysctls
targetPort tcpSocket template terminationGracePeriodSeconds terminationMessagePath terminationMessagePolicy
timeZone timeoutSeconds tolerationSeconds tolerations topologyKey topologySpreadConstraints trafficDistribution
ttlSecondsAfterFinished tty type updateStrategy value valueFrom values volumeAttributesClassName volumeClaimTemplates
volumeDevices volumeMode volumeMounts volumeName volumes vsphereVolume weight whenDeleted whenScaled
whenUnsatisfiable windowsOptions workingDir healthCheckNodePort successPolicy maxFailedIndexes podIndexLabel
managedBy apiGroup subjects roleRef aggregationRule verbs resourceNames nonResourceURLs apiGroups holderIdentity
leaseDurationSeconds acquireTime renewTime leaseTransitions strategyOptions preferredHolder addressType
targetRef zone hints nodeName forZones forNodes minAvailable unhealthyPodEvictionPolicy involvedObject reason
message source firstTimestamp lastTimestamp count eventTime series action related reportingComponent
reportingInstance immutable data stringData providerID podCIDR podCIDRs unschedulable taints configSource
externalID effect timeAdded scaleTargetRef minReplicas metrics behavior scaleUp scaleDown stabilizationWindowSeconds
policies selectPolicy
`;

function collectSchemaNames(schema: z.ZodType, names: Set<string>, seen: Set<unknown>): void {
  if (seen.has(schema)) return;
  seen.add(schema);
  const def = defOf(schema);
  for (const [k, v] of Object.entries(def.shape ?? {})) {
    names.add(k);
    collectSchemaNames(v, names, seen);
  }
  for (const child of [def.innerType, def.element, def.left, def.right, def.in, def.out, def.valueType, ...(def.options ?? [])]) {
    if (child) collectSchemaNames(child, names, seen);
  }
  if (def.getter) collectSchemaNames(def.getter(), names, seen);
}

const cache = new WeakMap<readonly ResourceType[], Set<string>>();

export function knownFieldNames(types: readonly ResourceType[]): Set<string> {
  const hit = cache.get(types);
  if (hit) return hit;
  const names = new Set(API_FIELD_NAMES.split(/\s+/).filter(Boolean));
  const seen = new Set<unknown>();
  for (const t of types) collectSchemaNames(t.schema, names, seen);
  for (const message of Object.values(protobufMessages)) for (const f of Object.values(message)) names.add(f.name);
  cache.set(types, names);
  return names;
}
