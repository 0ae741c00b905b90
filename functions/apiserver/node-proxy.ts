/**
 * The API side of `kubectl logs`, `exec`, `attach` and `port-forward`: find the pod's node server through the Node
 * object (status.addresses, InternalIP first, and status.daemonEndpoints.kubeletEndpoint.Port, as apiserver finds a
 * kubelet) and relay to it with the API's client certificate.
 *
 * Logs are an ordinary streamed response (works through Lambda response streaming too). exec/attach/port-forward
 * need the connection itself: the core answers with an UpgradeTarget and the transport pipes the raw upgrade there
 * (local/upgrade-proxy.ts) — apiserver's UpgradeAwareHandler.
 */
import { request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { NodeSchema, type Node } from '../../shared/api/kinds/node.ts';
import { PodSchema } from '../../shared/api/kinds/pod.ts';
import type { ResourceType } from '../../shared/api/resource-type.ts';
import { errors, StatusError, type StatusBody } from '../../shared/api/status.ts';
import type { ApiRequest, ApiResponse, UpgradeTarget } from './http.ts';
import { checkContainerHasLogs, chooseContainer, nodeLogQuery, parsePodLogOptions } from './pod-log-request.ts';
import type { Registry } from './registry-store.ts';

/** The API's client certificate for node servers; caPem, when set, also verifies the node's certificate. */
export interface NodeClientTls {
  certPem: string;
  keyPem: string;
  caPem?: string;
}

export interface NodeProxyDeps {
  registry: Registry;
  pods: ResourceType;
  nodes: ResourceType;
  tls?: NodeClientTls;
}

/** The kubelet's default port, used when a Node does not advertise one. */
export const DEFAULT_NODE_SERVER_PORT = 10250;

const ADDRESS_PREFERENCE = ['InternalIP', 'ExternalIP', 'Hostname', 'InternalDNS', 'ExternalDNS'];

export const STREAM_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

/** The node server's address and port from a Node's status. */
export function nodeServerAddress(node: Node): { host: string; port: number } {
  const addresses = node.status?.addresses ?? [];
  const host = ADDRESS_PREFERENCE.map((t) => addresses.find((a) => a.type === t)?.address).find((a) => !!a);
  if (!host) {
    throw errors.internal(`no preferred addresses found for node "${node.metadata.name}"; known addresses: [${addresses.map((a) => `${a.type}:${a.address}`).join(' ')}]`);
  }
  const endpoint = (node.status?.daemonEndpoints as { kubeletEndpoint?: { Port?: unknown } } | undefined)?.kubeletEndpoint;
  const port = typeof endpoint?.Port === 'number' && endpoint.Port > 0 ? endpoint.Port : DEFAULT_NODE_SERVER_PORT;
  return { host, port };
}

function segment(s: string): string {
  return encodeURIComponent(s);
}

const MAX_ERROR_BODY = 64 * 1024;

async function readSome(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > MAX_ERROR_BODY) break;
  }
  return text;
}

/** A node's non-2xx reply as the error the user sees: its own Status when it sent one (as apiserver relays it). */
async function nodeError(nodeName: string, res: IncomingMessage): Promise<StatusError> {
  const text = await readSome(res).catch(() => '');
  try {
    const status = JSON.parse(text) as Partial<StatusBody>;
    if (status.kind === 'Status' && typeof status.code === 'number' && status.message) {
      return new StatusError(status.code, status.reason ?? '', status.message, status.details);
    }
  } catch {
    // Not a Status: described below.
  }
  return errors.internal(`node "${nodeName}" answered ${res.statusCode}: ${text.slice(0, 200)}`);
}

async function* relay(res: IncomingMessage, signal: AbortSignal): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of res) yield chunk as Buffer;
  } catch (err) {
    // The caller left (signal) — not an error; a node that died mid-stream is.
    if (!signal.aborted) throw err;
  } finally {
    res.destroy();
  }
}

export interface NodeProxy {
  /** GET pods/NAME/log: a text/plain stream from the pod's node server. */
  podLogs(namespace: string, name: string, req: ApiRequest): Promise<ApiResponse>;
  /** pods/NAME/exec|attach|portforward: where the transport must pipe the upgraded connection. */
  streamTarget(namespace: string, name: string, subresource: string, req: ApiRequest): Promise<ApiResponse>;
}

export function createNodeProxy(deps: NodeProxyDeps): NodeProxy {
  const clientTls = (): NodeClientTls => {
    if (!deps.tls) throw errors.internal('the API has no client certificate for node servers');
    return deps.tls;
  };

  const podAndNode = async (namespace: string, name: string) => {
    const pod = PodSchema.parse(await deps.registry.get(deps.pods, namespace, name));
    const nodeName = pod.spec?.nodeName;
    const node = nodeName ? NodeSchema.parse(await deps.registry.get(deps.nodes, undefined, nodeName)) : undefined;
    return { pod, nodeName, node };
  };

  return {
    async podLogs(namespace, name, req) {
      const opts = parsePodLogOptions(name, req.query);
      const { pod, node } = await podAndNode(namespace, name);
      const container = chooseContainer(pod, opts.container);
      checkContainerHasLogs(pod, container, opts.previous);
      if (!node) throw errors.badRequest(`pod ${name} does not have a host assigned`);
      const tls = clientTls();
      const { host, port } = nodeServerAddress(node);
      const path = `/containerLogs/${segment(namespace)}/${segment(name)}/${segment(container)}?${nodeLogQuery(opts)}`;
      const options: RequestOptions = {
        host,
        port,
        path,
        method: 'GET',
        cert: tls.certPem,
        key: tls.keyPem,
        ca: tls.caPem,
        // Nodes make their own certificates (like kubelets); our client certificate is never revealed to an impostor.
        rejectUnauthorized: !!tls.caPem,
        signal: req.signal,
        headers: { accept: 'text/plain' },
      };
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        const call = request(options, resolve);
        call.on('error', (err) => reject(req.signal.aborted ? errors.timeout('the client went away') : errors.internal(`error dialing backend: ${err.message}`)));
        call.end();
      });
      if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) > 299) throw await nodeError(node.metadata.name ?? '', res);
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: relay(res, req.signal) };
    },

    async streamTarget(namespace, name, subresource, req) {
      if (!req.upgrade) {
        throw errors.badRequest(
          `Upgrade request required: pods/${subresource} streams over an HTTP/1.1 connection upgrade (WebSocket or SPDY/3.1), ` +
            'which this request did not carry or this endpoint (a Lambda function URL) cannot pass',
        );
      }
      const { pod, node } = await podAndNode(namespace, name);
      let path: string;
      if (subresource === 'portforward') path = `/portForward/${segment(namespace)}/${segment(name)}`;
      else path = `/${subresource}/${segment(namespace)}/${segment(name)}/${segment(chooseContainer(pod, req.query.container))}`;
      if (!node) throw errors.badRequest(`pod ${name} does not have a host assigned`);
      const tls = clientTls();
      const upgradeTo: UpgradeTarget = { ...nodeServerAddress(node), path, tls };
      return { status: 101, headers: {}, body: '', upgradeTo };
    },
  };
}
