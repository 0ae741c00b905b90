import { describe, expect, it } from 'vitest';
import { errorStatus, errorToStatusResult } from '../../../../functions/apiserver/middleware/error-status.ts';
import { errors } from '../../../../shared/api/status.ts';

describe('errorStatus', () => {
  it('keeps a StatusError code and message', () => {
    const res = errorToStatusResult(errors.notFound({ group: 'apps', resource: 'deployments' }, 'web'));
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'deployments.apps "web" not found' });
  });

  it('turns anything else into a 500 that reveals nothing', () => {
    const res = errorToStatusResult(new Error('secret table name zp-objects exploded'));
    expect(res.statusCode).toBe(500);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({ kind: 'Status', reason: 'InternalError', code: 500 });
    expect(res.body).not.toContain('zp-objects');
  });

  it('sets the response in onError', () => {
    const request = { event: {}, context: {}, response: undefined as unknown, error: errors.unauthorized(), internal: {} };
    errorStatus().onError?.(request as never);
    expect(request.response).toMatchObject({ statusCode: 401 });
  });
});
