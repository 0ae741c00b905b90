/** Checks and defaults shared by the controllers' kinds: selector present, non-empty, matching the template's labels; replica counts; update strategies. */
import { labelSelectorFromObject, matchesLabels } from '../../labels/label-selector.ts';
import type { FieldError } from '../resource-type.ts';
import { fieldErrors, validateNonnegative } from '../validation.ts';
import { validateLabelSelector, type Json } from './meta.ts';
import { templateLabelsMismatch, validatePodTemplate, type PodSpecRules } from './pod-spec.ts';

export function validateSelectorAndTemplate(spec: Json | undefined, path: string, kindName: string, rules: PodSpecRules): FieldError[] {
  const errs: FieldError[] = [];
  const sel = spec?.selector;
  if (!sel) errs.push(fieldErrors.required(`${path}.selector`));
  else {
    errs.push(...validateLabelSelector(sel, `${path}.selector`));
    if (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length) {
      errs.push(fieldErrors.invalid(`${path}.selector`, sel, `empty selector is invalid for ${kindName}`));
    }
  }
  errs.push(...validatePodTemplate(spec?.template, `${path}.template`, rules));
  if (sel && spec?.template && !errs.some((e) => e.field.startsWith(`${path}.selector`))) {
    try {
      if (!matchesLabels(labelSelectorFromObject(sel), spec.template.metadata?.labels)) {
        errs.push(templateLabelsMismatch(`${path}.template.metadata.labels`, spec.template.metadata?.labels));
      }
    } catch {
      // an invalid selector was already reported above
    }
  }
  return errs;
}

export function validateReplicaCounts(spec: Json | undefined, path: string): FieldError[] {
  return [
    ...validateNonnegative(spec?.replicas, `${path}.replicas`),
    ...validateNonnegative(spec?.minReadySeconds, `${path}.minReadySeconds`),
    ...validateNonnegative(spec?.revisionHistoryLimit, `${path}.revisionHistoryLimit`),
  ];
}

/**
 * The update-strategy defaulting of Deployment (`strategy`), DaemonSet and StatefulSet (`updateStrategy`): type
 * RollingUpdate when unset, and, for RollingUpdate only, the kind's rollingUpdate defaults for the fields not set.
 */
export function applyRollingUpdateDefaults(spec: Json, field: 'strategy' | 'updateStrategy', rollingUpdate: Json): void {
  const strategy = (spec[field] ??= {});
  strategy.type ||= 'RollingUpdate';
  if (strategy.type !== 'RollingUpdate') return;
  strategy.rollingUpdate ??= {};
  for (const [key, value] of Object.entries(rollingUpdate)) strategy.rollingUpdate[key] ??= value;
}
