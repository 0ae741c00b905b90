/** ServiceAccount loader: keys are namespace names; the Namespace and its `default` account → reconcile → applied. */
import type { Namespace } from '../../../shared/api/kinds/namespace.ts';
import type { ServiceAccount } from '../../../shared/api/kinds/serviceaccount.ts';
import { isReason } from '../api-port.ts';
import { DEFAULT_SERVICE_ACCOUNT, reconcileServiceAccounts } from '../serviceaccount.ts';
import { applyResult, type ControllerRegistration } from '../runner.ts';

export const serviceAccountController: ControllerRegistration = {
  name: 'serviceaccount',
  resource: 'core/namespaces',
  async load(name, env) {
    const namespace = await env.api.get<Namespace>('core/namespaces', '', name);
    if (!namespace) return;
    const existing = await env.api.get<ServiceAccount>('core/serviceaccounts', name, DEFAULT_SERVICE_ACCOUNT);
    try {
      await applyResult(env, reconcileServiceAccounts({ namespace, existing }), { controller: 'serviceaccount', key: name });
    } catch (err) {
      // Created meanwhile (a redelivered key, or a user's own `default`): the account exists, which is all we want.
      if (!isReason(err, 'AlreadyExists')) throw err;
    }
  },
};
