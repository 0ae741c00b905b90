/**
 * A pod's volumes materialised as host directories the runtime bind-mounts (the kubelet's volume manager, for the
 * node-local kinds): emptyDir and configMap/secret contents under <dataDir>/pods/<uid>/volumes/<name>, hostPath as
 * it is, a PersistentVolumeClaim as a node-local directory <dataDir>/volumes/pvc/<namespace>/<claim> that outlives
 * the pod. <dataDir>/pods is 0700, so Secret files are readable by root only on the host (the container sees the
 * modes the pod asks for). Contents are written at each container start, so a restarted container sees the
 * current ConfigMap/Secret.
 */
import { chmod, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import type { ConfigMap } from '../shared/api/kinds/configmap.ts';
import type { Container, Volume } from '../shared/api/kinds/pod-spec.ts';
import type { Pod } from '../shared/api/kinds/pod.ts';
import type { Secret } from '../shared/api/kinds/secret.ts';
import type { Mount } from './runtime/container-runtime.ts';

export interface VolumeObjects {
  configMaps: Map<string, ConfigMap | undefined>;
  secrets: Map<string, Secret | undefined>;
}

export type VolumesResult = { ok: true; paths: Map<string, string> } | { ok: false; reason: 'CreateContainerConfigError'; message: string };

export function podDir(dataDir: string, uid: string): string {
  return join(dataDir, 'pods', uid);
}

export function pvcDir(dataDir: string, namespace: string, claim: string): string {
  return join(dataDir, 'volumes', 'pvc', namespace, claim);
}

/** The ConfigMaps and Secrets the pod's volumes name. */
export function volumeReferences(pod: Pod): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const v of pod.spec.volumes ?? []) {
    if (v.configMap?.name) configMaps.add(v.configMap.name);
    if (v.secret?.secretName) secrets.add(v.secret.secretName);
  }
  return { configMaps, secrets };
}

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

/** A relative path that stays inside its directory (no `..`, not absolute). */
function safeRelative(path: string): boolean {
  const n = normalize(path);
  return !n.startsWith('/') && !n.startsWith('..') && n !== '.';
}

async function writeKeys(dir: string, data: Record<string, Buffer>, items: KeyToPath[] | undefined, defaultMode: number, what: string, optional: boolean): Promise<string | undefined> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const entries: KeyToPath[] = items?.length ? items : Object.keys(data).map((key) => ({ key, path: key }));
  for (const item of entries) {
    const value = data[item.key];
    if (value === undefined) {
      if (optional) continue;
      return `couldn't find key ${item.key} in ${what}`;
    }
    if (!safeRelative(item.path)) return `invalid path ${item.path} in ${what}`;
    const file = join(dir, item.path);
    await mkdir(dirname(file), { recursive: true, mode: 0o755 });
    await writeFile(file, value);
    await chmod(file, item.mode ?? defaultMode);
  }
  return undefined;
}

async function prepareOne(pod: Pod, v: Volume, dir: string, dataDir: string, objects: VolumeObjects): Promise<{ path: string } | { error: string }> {
  const ns = pod.metadata.namespace ?? '';
  if (v.hostPath) {
    const type = v.hostPath.type ?? '';
    if (type === 'DirectoryOrCreate') await mkdir(v.hostPath.path, { recursive: true, mode: 0o755 });
    if (type === 'Directory') {
      const s = await stat(v.hostPath.path).catch(() => undefined);
      if (!s?.isDirectory()) return { error: `hostPath type check failed: ${v.hostPath.path} is not a directory` };
    }
    return { path: v.hostPath.path };
  }
  if (v.persistentVolumeClaim) {
    const path = pvcDir(dataDir, ns, v.persistentVolumeClaim.claimName);
    await mkdir(path, { recursive: true, mode: 0o777 });
    return { path };
  }
  if (v.configMap) {
    const cm = objects.configMaps.get(v.configMap.name ?? '');
    const optional = (v.configMap as { optional?: boolean }).optional === true;
    if (!cm && !optional) return { error: `configmap "${v.configMap.name ?? ''}" not found` };
    const data: Record<string, Buffer> = {};
    for (const [k, val] of Object.entries(cm?.data ?? {})) data[k] = Buffer.from(val, 'utf8');
    for (const [k, val] of Object.entries(cm?.binaryData ?? {})) data[k] = Buffer.from(val, 'base64');
    const items = (v.configMap as { items?: KeyToPath[] }).items;
    const err = await writeKeys(dir, data, items, v.configMap.defaultMode ?? 0o644, `ConfigMap ${ns}/${v.configMap.name ?? ''}`, optional);
    return err ? { error: err } : { path: dir };
  }
  if (v.secret) {
    const s = objects.secrets.get(v.secret.secretName ?? '');
    const optional = (v.secret as { optional?: boolean }).optional === true;
    if (!s && !optional) return { error: `secret "${v.secret.secretName ?? ''}" not found` };
    const data: Record<string, Buffer> = {};
    for (const [k, val] of Object.entries(s?.data ?? {})) data[k] = Buffer.from(val, 'base64');
    for (const [k, val] of Object.entries(s?.stringData ?? {})) data[k] = Buffer.from(val, 'utf8');
    const items = (v.secret as { items?: KeyToPath[] }).items;
    const err = await writeKeys(dir, data, items, v.secret.defaultMode ?? 0o644, `Secret ${ns}/${v.secret.secretName ?? ''}`, optional);
    return err ? { error: err } : { path: dir };
  }
  if (v.emptyDir) {
    await mkdir(dir, { recursive: true, mode: 0o777 });
    // mkdir's mode is masked by the umask; containers running as any user may write an emptyDir.
    await chmod(dir, 0o777);
    return { path: dir };
  }
  return { error: `volume "${v.name}": only emptyDir, configMap, secret, hostPath and persistentVolumeClaim volumes are supported on this node` };
}

/** Materialises every volume of the pod; the host path of each by volume name. */
export async function preparePodVolumes(pod: Pod, dataDir: string, objects: VolumeObjects): Promise<VolumesResult> {
  const root = join(dataDir, 'pods');
  await mkdir(root, { recursive: true, mode: 0o700 });
  await chmod(root, 0o700);
  const paths = new Map<string, string>();
  for (const v of pod.spec.volumes ?? []) {
    const dir = join(podDir(dataDir, pod.metadata.uid ?? ''), 'volumes', v.name);
    const out = await prepareOne(pod, v, dir, dataDir, objects);
    if ('error' in out) return { ok: false, reason: 'CreateContainerConfigError', message: out.error };
    paths.set(v.name, out.path);
  }
  return { ok: true, paths };
}

/** The container's volumeMounts as runtime mounts (subPath resolved on the host side). */
export function containerMounts(pod: Pod, container: Container, paths: Map<string, string>): Mount[] | { error: string } {
  const mounts: Mount[] = [];
  for (const m of container.volumeMounts ?? []) {
    const host = paths.get(m.name);
    if (host === undefined) return { error: `volume "${m.name}" not found in pod ${pod.metadata.name ?? ''}` };
    if (m.subPath && !safeRelative(m.subPath)) return { error: `invalid subPath ${m.subPath}` };
    const pvcReadOnly = (pod.spec.volumes ?? []).find((v) => v.name === m.name)?.persistentVolumeClaim?.readOnly === true;
    mounts.push({ hostPath: m.subPath ? join(host, m.subPath) : host, containerPath: m.mountPath, readOnly: m.readOnly === true || pvcReadOnly });
  }
  return mounts;
}

/** Removes the pod's own volume directories (never hostPath or PVC data). */
export async function removePodVolumes(dataDir: string, uid: string): Promise<void> {
  if (!uid) return;
  await rm(podDir(dataDir, uid), { recursive: true, force: true });
}
