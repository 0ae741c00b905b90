/**
 * Chain names as kube-proxy derives them (portProtoHash / servicePortEndpointChainName): the first 16 characters
 * of the base32 (RFC 4648, standard alphabet) encoding of a sha256, so names are stable across agents and syncs
 * and fit iptables' 28-character limit with our `ZP-SVC-`/`ZP-SEP-` prefixes.
 */
import { createHash } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

function hash16(text: string): string {
  return base32(createHash('sha256').update(text).digest()).slice(0, 16);
}

/** `ZP-SVC-…` for a ServicePortName (`ns/name:port`) and protocol (`TCP`). */
export function serviceChainName(servicePortName: string, protocol: string): string {
  return `ZP-SVC-${hash16(servicePortName + protocol.toLowerCase())}`;
}

/** `ZP-SEP-…` for one endpoint (`10.244.1.11:8080`) of a service port. */
export function endpointChainName(servicePortName: string, protocol: string, endpoint: string): string {
  return `ZP-SEP-${hash16(servicePortName + protocol.toLowerCase() + endpoint)}`;
}
