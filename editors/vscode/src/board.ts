// The agent board: the latest `manyeyes/board` notification of each run, and what the views show of it.
// No `vscode` import here, so it is unit-tested in plain Node.

export interface Agent {
  id: string;
  concern: string;
  target: string;
  agent: string;
  state: string; // queued | running | done | failed | cancelled | skipped
  findings: number;
  tokens: number;
  costUsd: number;
  durationS: number;
  cached: boolean;
  error: string | null;
  /** Which voter of its task this agent is: 1 the first sample, 2.. the extra votes of an escalated task. */
  vote?: number;
  /** Why an extra vote runs ("calls eval", "analyzer hit (B608)"). */
  escalated?: string | null;
  /** The project instruction files (REVIEW.md, AGENTS.md...) this agent's prompt carried. */
  instructions?: string[];
}

/** A finding the verifier rejected: not published as a diagnostic, listed under the verification card. */
export interface Rejected {
  uri: string;
  path: string;
  /** 0-based, as in LSP. */
  line: number;
  title: string;
  reason: string;
}

/** What the verification step did, once it has run (docs/lsp.md). */
export interface Verification {
  checked: number;
  confirmed: number;
  rejected: Rejected[];
  errors: string[];
  tokens: number;
  costUsd: number;
}

export interface BoardNotification {
  reviewId: string;
  done: boolean;
  message: string | null;
  /** What the run does once the agents are done (e.g. "verifying 3 finding(s)"); null before that. */
  phase?: string | null;
  verification?: Verification | null;
  percentage: number;
  findings: number;
  tokens: number;
  costUsd: number;
  agents: Agent[];
}

/** A product icon (codicon) per agent state. */
const ICONS: Record<string, string> = {
  queued: 'clock', running: 'sync~spin', done: 'check', failed: 'error', cancelled: 'circle-slash',
  skipped: 'debug-step-over',
};

export interface Card {
  reviewId: string;
  agentId: string;
  label: string;
  detail: string;
  state: string;
  icon: string;
  /** Still queued or running in a run that is going on: the board offers to cancel it. */
  cancellable: boolean;
}

/** The verification step as a card after the agents', with the findings it rejected under it. */
export interface VerificationCard {
  reviewId: string;
  label: string;
  detail: string;
  icon: string;
  rejected: { label: string; detail: string; uri: string; line: number }[];
}

export class BoardModel {
  private runs = new Map<string, BoardNotification>();
  private lastFinished: BoardNotification | undefined;
  /** How many notifications have arrived: the extension's API reports it. */
  received = 0;

  update(board: BoardNotification): void {
    this.received += 1;
    if (board.done) {
      this.runs.delete(board.reviewId);
      this.lastFinished = board;
    } else {
      this.runs.set(board.reviewId, board);
    }
  }

  /** The run to show: a running one if any, else the last that finished. */
  current(): BoardNotification | undefined {
    const running = [...this.runs.values()];
    return running.length ? running[running.length - 1] : this.lastFinished;
  }

  runningAgents(): number {
    let count = 0;
    for (const board of this.runs.values()) {
      count += board.agents.filter((a) => a.state === 'running').length;
    }
    return count;
  }

  /** The language status item's text: agents at work, or the findings and cost of the last review. */
  statusText(): string {
    const running = this.runningAgents();
    if (this.runs.size) {
      return `$(eye) manyeyes: ${running} agent${running === 1 ? '' : 's'} running`;
    }
    if (this.lastFinished) {
      return `$(eye) manyeyes: ${this.lastFinished.findings} finding(s), $${this.lastFinished.costUsd.toFixed(4)}`;
    }
    return '$(eye) manyeyes';
  }

  /** The board's first line: where the run is, then its findings, tokens and cost. */
  summary(): string | undefined {
    const board = this.current();
    if (!board) {
      return undefined;
    }
    const where = board.done
      ? board.message ?? 'done'
      : board.phase ?? `${board.percentage}% · ${board.findings} finding(s) so far`;
    return `${where} · ${board.tokens} tokens · $${board.costUsd.toFixed(4)}`;
  }

  /** One card per agent: a label and a detail line, as the board view shows them. */
  cards(): Card[] {
    const board = this.current();
    if (!board) {
      return [];
    }
    return board.agents.map((agent) => ({
      reviewId: board.reviewId,
      agentId: agent.id,
      label: `${agent.concern} · ${agent.target}` + ((agent.vote ?? 1) > 1 ? ` · vote ${agent.vote}` : ''),
      detail: [
        agent.state,
        agent.escalated ? `escalated: ${agent.escalated}` : '',
        agent.instructions?.length ? `instructions: ${agent.instructions.join(', ')}` : '',
        `${agent.findings} finding(s)`,
        `${agent.tokens} tokens`,
        `$${agent.costUsd.toFixed(4)}`,
        agent.cached ? 'cached' : '',
        agent.error ?? '',
      ].filter(Boolean).join(' · '),
      state: agent.state,
      icon: ICONS[agent.state] ?? 'question',
      cancellable: !board.done && (agent.state === 'queued' || agent.state === 'running'),
    }));
  }

  /** The verification card: running while the run verifies, then what it did; none when nothing was checked. */
  verificationCard(): VerificationCard | undefined {
    const board = this.current();
    const check = board?.verification;
    if (!board || !check) {
      return board && !board.done && board.phase
        ? { reviewId: board.reviewId, label: 'verification', detail: board.phase, icon: 'sync~spin', rejected: [] }
        : undefined;
    }
    return {
      reviewId: board.reviewId,
      label: 'verification',
      detail: [
        `${check.checked} checked`,
        `${check.confirmed} confirmed`,
        `${check.rejected.length} rejected`,
        `${check.tokens} tokens`,
        `$${check.costUsd.toFixed(4)}`,
        ...check.errors,
      ].join(' · '),
      icon: check.errors.length ? 'warning' : 'verified',
      rejected: check.rejected.map((r) => ({
        label: `${r.path}:${r.line + 1} ${r.title}`,
        detail: `rejected: ${r.reason}`,
        uri: r.uri,
        line: r.line,
      })),
    };
  }
}
