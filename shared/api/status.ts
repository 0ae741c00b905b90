/**
 * Kubernetes `Status` errors. This is the only module that picks an HTTP status code or a `reason`:
 * everything else throws one of these (or returns it as a typed result) and the API front serializes it.
 * Messages follow apiserver's wording, because kubectl users grep for them.
 */

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

/** The resource a Status talks about, in the form apiserver prints: `deployments.apps`, `pods`. */
export interface ResourceRef {
  group: string;
  resource: string;
}

function qualified(ref: ResourceRef): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'StatusError';
  }

  toStatus(): StatusBody {
    const body: StatusBody = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) body.details = this.details;
    return body;
  }
}

export function isStatusError(err: unknown): err is StatusError {
  return err instanceof StatusError;
}

export function successStatus(ref: ResourceRef, name: string, uid?: string): StatusBody & { status: 'Success' } {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    message: '',
    reason: '',
    details: { name, group: ref.group, kind: ref.resource, ...(uid ? { uid } : {}) },
    code: 200,
  } as StatusBody & { status: 'Success' };
}

export const errors = {
  notFound(ref: ResourceRef, name: string): StatusError {
    return new StatusError(404, 'NotFound', `${qualified(ref)} "${name}" not found`, {
      name,
      group: ref.group || undefined,
      kind: ref.resource,
    });
  },
  namespaceNotFound(namespace: string): StatusError {
    return new StatusError(404, 'NotFound', `namespaces "${namespace}" not found`, {
      name: namespace,
      kind: 'namespaces',
    });
  },
  /** A path or resource type the server does not serve. */
  noRoute(): StatusError {
    return new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  },
  alreadyExists(ref: ResourceRef, name: string): StatusError {
    return new StatusError(409, 'AlreadyExists', `${qualified(ref)} "${name}" already exists`, {
      name,
      group: ref.group || undefined,
      kind: ref.resource,
    });
  },
  conflict(ref: ResourceRef, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): StatusError {
    return new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(ref)} "${name}": ${why}`, {
      name,
      group: ref.group || undefined,
      kind: ref.resource,
    });
  },
  /** Server-side apply conflicts: one cause per contested field, `{ reason: 'FieldManagerConflict',
   *  message: 'conflict with "mgr" using apps/v1', field: '.spec.replicas' }`. The message is apiserver's:
   *  `Apply failed with 1 conflict: conflict with "mgr" using apps/v1: .spec.replicas`, or for several,
   *  `Apply failed with 2 conflicts: conflicts with "mgr" using apps/v1:\n- .spec.replicas\n- .spec.paused`. */
  applyConflict(ref: ResourceRef, name: string, causes: StatusCause[]): StatusError {
    let fields: string;
    if (causes.length === 1) {
      fields = `${causes[0].message}: ${causes[0].field ?? ''}`;
    } else {
      const byManager = new Map<string, string[]>();
      for (const c of causes) {
        const who = c.message.replace(/^conflict with /, '');
        byManager.set(who, [...(byManager.get(who) ?? []), c.field ?? '']);
      }
      fields = [...byManager].flatMap(([who, paths]) => [`conflicts with ${who}:`, ...paths.map((p) => `- ${p}`)]).join('\n');
    }
    return new StatusError(409, 'Conflict', `Apply failed with ${causes.length} conflict${causes.length === 1 ? '' : 's'}: ${fields}`, {
      name,
      group: ref.group || undefined,
      kind: ref.resource,
      causes,
    });
  },
  /** 422: `<Kind>.<group> "name" is invalid: <field>: <message>`, one cause per field error. */
  invalid(kind: string, group: string, name: string, causes: StatusCause[]): StatusError {
    const qualifiedKind = group ? `${kind}.${group}` : kind;
    const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
    const message =
      summary.length === 1
        ? `${qualifiedKind} "${name}" is invalid: ${summary[0]}`
        : `${qualifiedKind} "${name}" is invalid: [${summary.join(', ')}]`;
    return new StatusError(422, 'Invalid', message, { name, group: group || undefined, kind, causes });
  },
  badRequest(message: string): StatusError {
    return new StatusError(400, 'BadRequest', message);
  },
  /** 422 without a kind or name, as apiserver answers a JSON patch that cannot be applied (a failed `test` op, a
   *  missing path); kubectl prints `The request is invalid: the server rejected our request …`. */
  patchRejected(detail: string): StatusError {
    return new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
      causes: [{ reason: 'UnexpectedServerResponse', message: detail }],
    });
  },
  unauthorized(): StatusError {
    return new StatusError(401, 'Unauthorized', 'Unauthorized');
  },
  /** apiserver's ForbiddenStatusError: `pods "x" is forbidden: User "u" cannot get resource "pods/log" in API group ""
   *  in the namespace "ns"`; the name (when the request has one) goes into the prefix and details, the subresource
   *  into the quoted resource. */
  forbidden(user: string, verb: string, ref: ResourceRef, namespace: string | undefined, why = '', target: { name?: string; subresource?: string } = {}): StatusError {
    const scope = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
    const resource = target.subresource ? `${ref.resource}/${target.subresource}` : ref.resource;
    const what = `resource "${resource}" in API group "${ref.group}"`;
    const subject = target.name ? `${qualified(ref)} "${target.name}"` : qualified(ref);
    return new StatusError(403, 'Forbidden', `${subject} is forbidden: User "${user}" cannot ${verb} ${what}${scope}${why ? ': ' + why : ''}`, {
      ...(target.name ? { name: target.name } : {}),
      group: ref.group || undefined,
      kind: ref.resource,
    });
  },
  /** 403 for a non-resource path: `forbidden: User "u" cannot get path "/metrics"`. */
  forbiddenPath(user: string, verb: string, path: string, why = ''): StatusError {
    return new StatusError(403, 'Forbidden', `forbidden: User "${user}" cannot ${verb} path "${path}"${why ? ': ' + why : ''}`, {});
  },
  /** 403 from a rule rather than a user's permissions (apiserver's NewForbidden): `pods "x" is forbidden: unable to
   *  create new content in namespace ns because it is being terminated`. */
  forbiddenBy(ref: ResourceRef, name: string, why: string): StatusError {
    return new StatusError(403, 'Forbidden', `${qualified(ref)} "${name}" is forbidden: ${why}`, {
      name,
      group: ref.group || undefined,
      kind: ref.resource,
    });
  },
  /** 503: the server cannot answer yet (a node without resource readings). */
  serviceUnavailable(message: string): StatusError {
    return new StatusError(503, 'ServiceUnavailable', message);
  },
  methodNotAllowed(): StatusError {
    return new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  },
  notAcceptable(type: string): StatusError {
    return new StatusError(406, 'NotAcceptable', `the server was unable to respond with a content type that the client supports (${type})`);
  },
  /** 410 for a watch or list older than the retained change log. */
  expired(message = 'too old resource version'): StatusError {
    return new StatusError(410, 'Expired', message);
  },
  gone(message: string): StatusError {
    return new StatusError(410, 'Gone', message);
  },
  tooLarge(limitBytes: number): StatusError {
    return new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limitBytes}`);
  },
  unsupportedMediaType(type: string): StatusError {
    return new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${type})`);
  },
  tooManyRequests(retryAfterSeconds = 1): StatusError {
    return new StatusError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds });
  },
  /** 429 from pods/eviction when a PodDisruptionBudget allows no disruption now; kubectl drain retries on it.
   *  `cause` says why: `The disruption budget web needs 2 healthy pods and has 2 currently`. */
  disruptionBudgetViolated(cause: string): StatusError {
    return new StatusError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
      causes: [{ reason: 'DisruptionBudget', message: cause }],
    });
  },
  internal(message: string): StatusError {
    return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`);
  },
  timeout(message: string): StatusError {
    return new StatusError(504, 'Timeout', message);
  },
  /** apiserver's NewTooLargeResourceVersionError: a read asked for data at least as new as `requested`, and the
   *  store did not reach it within the wait. client-go's reflector recognises it by the cause and relists. */
  tooLargeResourceVersion(requested: number | string, current: number | string, retryAfterSeconds = 1): StatusError {
    return new StatusError(504, 'Timeout', `Timeout: Too large resource version: ${requested}, current: ${current}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds,
    });
  },
};
