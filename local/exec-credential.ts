/**
 * What `zeroplane token` prints for kubectl's exec credential plugin (client.authentication.k8s.io/v1, the shape
 * `aws eks get-token` prints): the token and when it stops being good, so kubectl runs the plugin again only then.
 */
import { z } from 'zod';

export const EXEC_CREDENTIAL_API_VERSION = 'client.authentication.k8s.io/v1';

export const ExecCredentialSchema = z.object({
  apiVersion: z.literal(EXEC_CREDENTIAL_API_VERSION),
  kind: z.literal('ExecCredential'),
  spec: z.looseObject({}),
  status: z.object({
    /** RFC 3339 without fractions, as client-go writes metav1.Time. */
    expirationTimestamp: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
    token: z.string().min(1),
  }),
});
export type ExecCredential = z.infer<typeof ExecCredentialSchema>;

export function renderExecCredential(token: string, expiresAt: Date): ExecCredential {
  return {
    apiVersion: EXEC_CREDENTIAL_API_VERSION,
    kind: 'ExecCredential',
    spec: {},
    status: { expirationTimestamp: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'), token },
  };
}
