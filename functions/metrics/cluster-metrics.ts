/**
 * The cluster's MetricsSource, the same in Lambda and locally: simulated nodes are computed from their pods, real
 * nodes are asked by `scrape` (their agent's node server), when one is given.
 */
import type { MetricsSource } from './metrics-source.ts';
import { routedMetricsSource } from './metrics-source.ts';
import { isSimulatedNode, simulatedMetricsSource } from './simulated-metrics.ts';

export function clusterMetricsSource(options: { scrape?: MetricsSource } = {}): MetricsSource {
  return routedMetricsSource({ simulated: simulatedMetricsSource(), scraped: options.scrape }, isSimulatedNode);
}
