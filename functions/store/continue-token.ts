/**
 * The opaque `continue` token of a paged list: the snapshot RV and the last key returned. Later pages are
 * served at the same snapshot RV (replaying the log backwards), so a paged list is as consistent as a whole one
 * while the log still covers the snapshot; after compaction the token is refused with 410 Expired.
 */
import { z } from 'zod';
import { errors } from '../../shared/api/status.ts';

const ContinueTokenSchema = z.object({ v: z.literal(1), rv: z.number().int().nonnegative(), after: z.string() });
export type ContinueToken = z.infer<typeof ContinueTokenSchema>;

export function encodeContinue(rv: number, after: string): string {
  return Buffer.from(JSON.stringify({ v: 1, rv, after } satisfies ContinueToken)).toString('base64url');
}

export function decodeContinue(token: string): ContinueToken {
  try {
    return ContinueTokenSchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}
