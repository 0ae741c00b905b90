/**
 * Who may talk to the node server: only the API, proving itself with a client certificate issued by the cluster CA
 * (the kubelet's `--client-ca-file` + apiserver's `--kubelet-client-certificate`).
 *
 * Why a certificate and not a shared proxy token: the node server only ever holds the CA *certificate*, which is
 * public, so a compromised node learns nothing that opens the other nodes; and presenting a certificate never hands
 * the secret to the peer, so the API can dial whatever address a Node object advertises (nodes write their own
 * status) without leaking a credential to an impostor. A bearer token has neither property.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** The subject CN of the API's client certificate for node servers. */
export const NODE_CLIENT_COMMON_NAME = 'zeroplane:apiserver-node-client';

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

/** allowed:false without a user → 401; with a user (authenticated, not permitted) → 403. */
export type NodeAuthResult = { allowed: true; user: string } | { allowed: false; user?: string };

export type NodeAuthenticator = (req: IncomingMessage) => NodeAuthResult;

/**
 * Accepts a request only over a TLS connection whose client certificate chains to the server's `ca` (the cluster
 * CA; the server is created with `requestCert` and `rejectUnauthorized: false` so that refusals are HTTP answers)
 * and names `commonName` with the clientAuth usage.
 */
export function requireApiserverClientCert(commonName = NODE_CLIENT_COMMON_NAME): NodeAuthenticator {
  return (req) => {
    const socket = req.socket as TLSSocket;
    if (typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return { allowed: false };
    const cert = socket.getPeerCertificate();
    const cn = cert?.subject?.CN;
    const user = Array.isArray(cn) ? cn[0] : cn;
    if (!user) return { allowed: false };
    const usages = cert.ext_key_usage;
    if (user !== commonName || (usages && !usages.includes(CLIENT_AUTH_OID))) return { allowed: false, user };
    return { allowed: true, user };
  };
}
