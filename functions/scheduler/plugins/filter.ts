/** The shape of every scheduler filter plugin: pure, one pod against one node, reasons as Kubernetes words them. */
import type { NodeInfo, PodInfo } from '../node-info.ts';

export type FilterResult = { ok: true } | { ok: false; reasons: string[] };

export type FilterPlugin = (pod: PodInfo, node: NodeInfo) => FilterResult;
