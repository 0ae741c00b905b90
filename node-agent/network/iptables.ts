/**
 * Applies the rendered ruleset with one `iptables-restore --noflush` per sync (kube-proxy's syncProxyRules).
 * --noflush keeps every table as it is except what the text names: our ZP- chains are declared (which flushes
 * them) and refilled, chains of removed services are deleted, and nothing of Docker's is touched.
 *
 * What is in the tables is learnt from one `iptables-save` at the first sync, after a failed restore, and on the
 * periodic full check (someone flushed the tables, dockerd restarted and rebuilt its chains); in between the
 * applier trusts its own last restore, so a steady-state sync is exactly one process, and its input holds only
 * the chains that changed since (kube-proxy's partial sync: with 1,000 services, the full text is 15,000 lines
 * and costs iptables-nft most of a second). A sync whose text equals the last one applied is skipped.
 */
import { chainsInSave } from './rules.ts';
import { chainsAfterRestore, minimizeRestore, missingJumps, teardownText, withJumps, type TableName } from './restore-text.ts';
import { runCommand } from './netns-command.ts';

export type ExistingChains = Record<TableName, string[]>;

export interface IptablesOptions {
  /** The node's network namespace; undefined is the host's. */
  netns?: string;
}

export interface SyncResult {
  /** false when the rendered text equalled the last one applied. */
  applied: boolean;
  /** Whether this sync read the tables first (iptables-save). */
  fullCheck: boolean;
  durationMs: number;
  /** Size of the restore text in lines. */
  lines: number;
}

/** `iptables-save` of the filter and nat tables. */
export async function iptablesSave(options: IptablesOptions = {}): Promise<string> {
  const [filter, nat] = await Promise.all([
    runCommand(['iptables-save', '-t', 'filter'], { netns: options.netns }),
    runCommand(['iptables-save', '-t', 'nat'], { netns: options.netns }),
  ]);
  return `${filter.stdout}${nat.stdout}`;
}

/** One `iptables-restore --noflush` of the text (`-w`: wait for the xtables lock instead of failing). */
export async function iptablesRestore(text: string, options: IptablesOptions = {}): Promise<void> {
  await runCommand(['iptables-restore', '-w', '5', '--noflush'], { netns: options.netns, input: text });
}

export class IptablesApplier {
  private existing: ExistingChains | undefined;
  private jumpsToAdd: ReturnType<typeof missingJumps> = [];
  private lastApplied: string | undefined;

  constructor(private readonly options: IptablesOptions = {}) {}

  /** Makes the next sync read the tables first (the periodic full check). */
  requestFullCheck(): void {
    this.existing = undefined;
  }

  /**
   * Renders with the chains currently in the tables (so stale ones are deleted) and applies the result.
   * On failure the next sync starts with a full check.
   */
  async sync(render: (existing: ExistingChains) => string): Promise<SyncResult> {
    const started = performance.now();
    const fullCheck = this.existing === undefined;
    if (!this.existing) {
      const saved = await iptablesSave(this.options);
      this.existing = { filter: chainsInSave(saved, 'filter'), nat: chainsInSave(saved, 'nat') };
      this.jumpsToAdd = missingJumps(saved);
      this.lastApplied = undefined;
    }
    const text = withJumps(render(this.existing), this.jumpsToAdd);
    if (text === this.lastApplied) return { applied: false, fullCheck, durationMs: performance.now() - started, lines: 0 };
    // After a full check the whole text goes in; otherwise only the chains that changed since the last sync.
    const input = this.lastApplied === undefined ? text : minimizeRestore(this.lastApplied, text);
    try {
      if (input) await iptablesRestore(input, this.options);
    } catch (err) {
      this.requestFullCheck();
      throw err;
    }
    const settled = this.jumpsToAdd.length === 0 && !/^-X /m.test(text);
    this.existing = chainsAfterRestore(text);
    this.jumpsToAdd = [];
    // What the same state renders next time: this text, unless it also added jumps or deleted chains.
    this.lastApplied = settled ? text : render(this.existing);
    return { applied: true, fullCheck, durationMs: performance.now() - started, lines: input.split('\n').length - 1 };
  }

  /** Removes every ZP- chain and our jumps into them, whoever added them. */
  async removeAll(): Promise<void> {
    const text = teardownText(await iptablesSave(this.options));
    if (text) await iptablesRestore(text, this.options);
    this.requestFullCheck();
  }
}
