/**
 * Pure edits of `iptables-save` / `iptables-restore --noflush` text around the ruleset rules.ts renders:
 * which of our jumps from the built-in chains are missing, the ruleset with those jumps added, the chains a
 * restore leaves behind, and the text that removes every trace of ours. Rules of others (Docker's) are never
 * named here, so a restore of this text leaves them as they are.
 */
import { JUMP_RULES, type JumpRule } from './rules.ts';

export type TableName = 'filter' | 'nat';
export const OUR_PREFIX = 'ZP-';

/** A jump as `iptables-save` prints it (arguments with spaces in double quotes). */
export function formatJumpArgs(jump: JumpRule): string {
  return jump.args.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ');
}

interface SavedRule {
  table: string;
  chain: string;
  /** The rule after `-A CHAIN `. */
  spec: string;
  target?: string;
}

function savedRules(saveText: string): SavedRule[] {
  const rules: SavedRule[] = [];
  let table = '';
  for (const line of saveText.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    const m = /^-A (\S+) (.*)$/.exec(line);
    if (!m) continue;
    const target = / -j (\S+)/.exec(` ${m[2]}`)?.[1];
    rules.push({ table, chain: m[1]!, spec: m[2]!, ...(target ? { target } : {}) });
  }
  return rules;
}

/** Our jumps from the built-in chains that the saved tables lack (a jump is known by table, chain and target). */
export function missingJumps(saveText: string, jumps: JumpRule[] = JUMP_RULES): JumpRule[] {
  const present = new Set(savedRules(saveText).map((r) => `${r.table} ${r.chain} ${r.target ?? ''}`));
  return jumps.filter((j) => !present.has(`${j.table} ${j.chain} ${j.args[j.args.length - 1]}`));
}

/**
 * The ruleset with the given jumps inserted at the top of their built-in chains (as kube-proxy does, ahead of
 * Docker's), placed just before the table's COMMIT so that our chains are declared by then.
 */
export function withJumps(rulesetText: string, jumps: JumpRule[]): string {
  if (jumps.length === 0) return rulesetText;
  const out: string[] = [];
  let table = '';
  for (const line of rulesetText.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    if (line === 'COMMIT') for (const j of jumps.filter((x) => x.table === table)) out.push(`-I ${j.chain} 1 ${formatJumpArgs(j)}`);
    out.push(line);
  }
  return out.join('\n');
}

/** The ZP- chains of each table that exist after restoring this text (declared and not deleted with -X). */
export function chainsAfterRestore(restoreText: string): Record<TableName, string[]> {
  const out: Record<TableName, string[]> = { filter: [], nat: [] };
  let table = '';
  const deleted = new Set<string>();
  for (const line of restoreText.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    if (table !== 'filter' && table !== 'nat') continue;
    if (line.startsWith(`:${OUR_PREFIX}`)) out[table].push(line.slice(1).split(' ')[0]!);
    if (line.startsWith(`-X ${OUR_PREFIX}`)) deleted.add(`${table} ${line.slice(3).trim()}`);
  }
  return { filter: out.filter.filter((c) => !deleted.has(`filter ${c}`)), nat: out.nat.filter((c) => !deleted.has(`nat ${c}`)) };
}

/**
 * The `--noflush` text that removes all of ours from a saved ruleset: the jumps into ZP- chains from any other
 * chain are deleted, then every ZP- chain is flushed (declared) and deleted. Empty when nothing of ours is left.
 */
export function teardownText(saveText: string): string {
  const rules = savedRules(saveText);
  const sections: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const chains: string[] = [];
    let current = '';
    for (const line of saveText.split('\n')) {
      if (line.startsWith('*')) current = line.slice(1).trim();
      else if (current === table && line.startsWith(`:${OUR_PREFIX}`)) chains.push(line.slice(1).split(' ')[0]!);
    }
    const jumps = rules.filter((r) => r.table === table && !r.chain.startsWith(OUR_PREFIX) && r.target?.startsWith(OUR_PREFIX));
    if (chains.length === 0 && jumps.length === 0) continue;
    sections.push(
      [`*${table}`, ...chains.map((c) => `:${c} - [0:0]`), ...jumps.map((r) => `-D ${r.chain} ${r.spec}`), ...chains.map((c) => `-X ${c}`), 'COMMIT'].join('\n'),
    );
  }
  return sections.length ? `${sections.join('\n')}\n` : '';
}

interface TableText {
  name: string;
  declared: string[];
  rules: Map<string, string[]>;
  /** Lines that are not about one of our chains' contents (`-I` jumps, `-X` deletions), in order. */
  other: string[];
}

function parseTables(text: string): TableText[] {
  const tables: TableText[] = [];
  let current: TableText | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) tables.push((current = { name: line.slice(1).trim(), declared: [], rules: new Map(), other: [] }));
    else if (!current || line === 'COMMIT' || line === '') continue;
    else if (line.startsWith(':')) {
      const chain = line.slice(1).split(' ')[0]!;
      current.declared.push(chain);
      if (!current.rules.has(chain)) current.rules.set(chain, []);
    } else {
      const chain = /^-A (\S+) /.exec(line)?.[1];
      if (chain && current.rules.has(chain)) current.rules.get(chain)!.push(line);
      else current.other.push(line);
    }
  }
  return tables;
}

/**
 * Only what changed between two full rulesets (kube-proxy's MinimizeIPTablesRestore): a chain whose rules are
 * the same in both is left out, since under --noflush an undeclared chain keeps its rules; changed and new
 * chains are declared (flushed) and refilled; jumps and deletions are kept. `previous` must be what the tables
 * hold (the last full text applied successfully). Empty when nothing changed.
 */
export function minimizeRestore(previous: string, next: string): string {
  const before = new Map(parseTables(previous).map((t) => [t.name, t]));
  const sections: string[] = [];
  for (const table of parseTables(next)) {
    const old = before.get(table.name);
    const changed = table.declared.filter((c) => {
      const was = old?.rules.get(c);
      const now = table.rules.get(c) ?? [];
      return !was || was.length !== now.length || was.some((line, i) => line !== now[i]);
    });
    if (changed.length === 0 && table.other.length === 0) continue;
    const lines = [`*${table.name}`, ...changed.map((c) => `:${c} - [0:0]`)];
    for (const c of changed) lines.push(...(table.rules.get(c) ?? []));
    lines.push(...table.other, 'COMMIT');
    sections.push(lines.join('\n'));
  }
  return sections.length ? `${sections.join('\n')}\n` : '';
}
