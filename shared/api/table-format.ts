/**
 * Cell formatting shared by every kind's Table (server-side printing), as kubectl's printers do it:
 * ages like `5s`, `3m2s`, `3h4m`, `2d3h` (apimachinery duration.HumanDuration), container/image lists, selectors.
 */
import type { TableColumn } from './resource-type.ts';
import { formatLabels, labelSelectorFromObject, selectorToString, type LabelSelectorObject } from '../labels/label-selector.ts';

/** duration.HumanDuration: the compact, lossy age kubectl prints. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const years = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** translateTimestampSince: `<unknown>` for a missing timestamp. */
export function age(timestamp: string | null | undefined, now: Date): string {
  if (!timestamp) return '<unknown>';
  const t = Date.parse(timestamp);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** The Go zero time (`0001-01-01T00:00:00Z`) counts as unset, as metav1.Time.IsZero does. */
export function isZeroTime(timestamp: string | null | undefined): boolean {
  return !timestamp || timestamp.startsWith('0001-01-01');
}

export function containerCells(containers: { name?: string; image?: string }[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name ?? '').join(','), list.map((c) => c.image ?? '').join(',')];
}

/** metav1.LabelSelectorAsSelector(sel).String(); `<none>` for a nil selector (kubectl prints that for Nothing). */
export function selectorCell(sel: LabelSelectorObject | null | undefined): string {
  if (!sel) return '<none>';
  try {
    return selectorToString(labelSelectorFromObject(sel));
  } catch {
    return '<error>';
  }
}

export { formatLabels };

// Column helpers. Descriptions follow the Kubernetes swagger docs closely enough for `kubectl explain`-free use.
const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export const nameColumn: TableColumn = { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0 };
export const ageColumn: TableColumn = { name: 'Age', type: 'string', description: AGE_DESCRIPTION, priority: 0 };

export function column(name: string, description: string, opts: { type?: TableColumn['type']; wide?: boolean } = {}): TableColumn {
  return { name, type: opts.type ?? 'string', description, priority: opts.wide ? 1 : 0 };
}

export const containersColumn = column('Containers', 'Names of each container in the template.', { wide: true });
export const imagesColumn = column('Images', 'Images referenced by each container in the template.', { wide: true });
export const selectorColumn = column('Selector', 'A label query over pods that should match the replica count.', { wide: true });

/** The wide columns kubectl prints after AGE for a workload with a pod template: CONTAINERS, IMAGES, SELECTOR. */
export const podTemplateColumns: TableColumn[] = [containersColumn, imagesColumn, selectorColumn];

/** The cells of `podTemplateColumns`: the template's container names and images, then the workload's selector. */
export function podTemplateCells(
  template: { spec?: { containers?: { name?: string; image?: string }[] } } | undefined,
  selector: LabelSelectorObject | null | undefined,
): [string, string, string] {
  return [...containerCells(template?.spec?.containers), selectorCell(selector)];
}
