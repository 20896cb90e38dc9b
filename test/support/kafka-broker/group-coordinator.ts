import { randomUUID } from 'node:crypto';
import { ErrorCode } from './protocol/error-codes.js';
import type { BrokerLogger } from './logger.js';

/**
 * The classic consumer-group protocol, as a Kafka group coordinator runs it: members join,
 * the coordinator picks a leader and a protocol, the leader computes the assignment on the
 * client side and hands it over in SyncGroup, and heartbeats keep sessions alive.
 * State names match DescribeGroups' group_state strings.
 */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  /** JoinGroup v4+: a first join without a member id is answered MEMBER_ID_REQUIRED (KIP-394). */
  requireKnownMemberId: boolean;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leaderId: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  errorCode: number;
  assignment: Buffer;
}

interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: { name: string; metadata: Buffer }[];
  assignment: Buffer;
  awaitingJoin: ((r: JoinResult) => void) | null;
  awaitingSync: ((r: SyncResult) => void) | null;
  sessionTimer: NodeJS.Timeout | null;
}

interface Group {
  groupId: string;
  state: GroupState;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  members: Map<string, Member>;
  /** Ids handed out with MEMBER_ID_REQUIRED that have not joined yet, with their expiry. */
  pendingMemberIds: Map<string, NodeJS.Timeout>;
  rebalanceTimer: NodeJS.Timeout | null;
  /** While set, an Empty group's first rebalance waits for more members (group.initial.rebalance.delay.ms). */
  initialDelayTimer: NodeJS.Timeout | null;
  /** Why the current rebalance happens; logged once when it completes. */
  reasons: string[];
}

export interface CommittedOffset {
  offset: number;
  metadata: string | null;
}

export interface CoordinatorOptions {
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  initialRebalanceDelayMs: number;
}

export interface GroupDescription {
  groupId: string;
  state: GroupState | 'Dead';
  protocolType: string;
  protocolName: string;
  generationId: number;
  leaderId: string | null;
  members: { memberId: string; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }[];
}

const EMPTY = Buffer.alloc(0);

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  /** group → "topic" → partition → offset. Kept apart from membership: it outlives every member. */
  private readonly offsets = new Map<string, Map<string, Map<number, CommittedOffset>>>();
  private running = true;

  constructor(
    private readonly options: CoordinatorOptions,
    private readonly log: BrokerLogger,
  ) {}

  join(req: JoinRequest): Promise<JoinResult> {
    const fail = (errorCode: number, memberId = req.memberId): Promise<JoinResult> =>
      Promise.resolve({ errorCode, generationId: -1, protocolName: '', leaderId: '', memberId, members: [] });

    if (!req.groupId) return fail(ErrorCode.INVALID_GROUP_ID);
    if (req.sessionTimeoutMs < this.options.minSessionTimeoutMs || req.sessionTimeoutMs > this.options.maxSessionTimeoutMs) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    const group = this.groupFor(req.groupId);
    if (req.protocols.length === 0 || (group.members.size > 0 && !this.protocolsCompatible(group, req))) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }

    let memberId = req.memberId;
    if (memberId === '') {
      memberId = `${req.clientId || 'member'}-${randomUUID()}`;
      if (req.requireKnownMemberId) {
        // The id must come back within a session timeout or it is forgotten, as in Kafka.
        const timer = setTimeout(() => group.pendingMemberIds.delete(memberId), req.sessionTimeoutMs);
        group.pendingMemberIds.set(memberId, timer);
        return fail(ErrorCode.MEMBER_ID_REQUIRED, memberId);
      }
    } else if (!group.members.has(memberId) && !group.pendingMemberIds.has(memberId)) {
      return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    }
    const pending = group.pendingMemberIds.get(memberId);
    if (pending) {
      clearTimeout(pending);
      group.pendingMemberIds.delete(memberId);
    }

    return new Promise<JoinResult>((resolve) => {
      let member = group.members.get(memberId);
      const isNew = !member;
      if (!member) {
        member = {
          memberId,
          groupInstanceId: req.groupInstanceId,
          clientId: req.clientId,
          clientHost: req.clientHost,
          sessionTimeoutMs: req.sessionTimeoutMs,
          rebalanceTimeoutMs: req.rebalanceTimeoutMs,
          protocols: req.protocols,
          assignment: EMPTY,
          awaitingJoin: null,
          awaitingSync: null,
          sessionTimer: null,
        };
        group.members.set(memberId, member);
      } else {
        member.sessionTimeoutMs = req.sessionTimeoutMs;
        member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
        member.protocols = req.protocols;
      }
      group.protocolType = req.protocolType;
      // A member re-joining while its previous join is parked (a retry after a lost response)
      // takes over the slot; the old caller is told to retry so no response is lost silently.
      member.awaitingJoin?.(this.joinError(ErrorCode.REBALANCE_IN_PROGRESS, memberId));
      member.awaitingJoin = resolve;
      this.touch(group, member);
      if (group.state !== 'PreparingRebalance') this.prepareRebalance(group, `member ${memberId} joined`);
      else if (isNew) group.reasons.push(`member ${memberId} joined`);
      this.maybeCompleteJoin(group);
    });
  }

  sync(groupId: string, generationId: number, memberId: string, assignments: { memberId: string; assignment: Buffer }[]): Promise<SyncResult> {
    const fail = (errorCode: number): Promise<SyncResult> => Promise.resolve({ errorCode, assignment: EMPTY });
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
    if (group.state === 'PreparingRebalance') return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    this.touch(group, member);
    if (group.state === 'Stable') return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: member.assignment });

    return new Promise<SyncResult>((resolve) => {
      member.awaitingSync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
      member.awaitingSync = resolve;
      if (memberId !== group.leaderId) return;
      const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
      group.state = 'Stable';
      for (const m of group.members.values()) {
        m.assignment = byMember.get(m.memberId) ?? EMPTY;
        const reply = m.awaitingSync;
        m.awaitingSync = null;
        reply?.({ errorCode: ErrorCode.NONE, assignment: m.assignment });
      }
    });
  }

  heartbeat(groupId: string, generationId: number, memberId: string): number {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(group, member);
    // Members that already got their JoinGroup answer may heartbeat before syncing; that is fine.
    return group.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leave(groupId: string, memberId: string): number {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMember(group, member, 'left the group');
    return ErrorCode.NONE;
  }

  /**
   * Validates who may commit. A group with no members accepts "simple" commits (generation -1)
   * from standalone consumers; otherwise the member and generation must be current. Commits
   * during PreparingRebalance are accepted on purpose: that is the window in which members
   * commit what they processed before giving their partitions up.
   */
  commitCheck(groupId: string, generationId: number, memberId: string): number {
    const group = this.groups.get(groupId);
    if (!group || group.members.size === 0) {
      return generationId < 0 ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
    }
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    this.touch(group, member);
    return ErrorCode.NONE;
  }

  commit(groupId: string, topic: string, partition: number, value: CommittedOffset): void {
    let byTopic = this.offsets.get(groupId);
    if (!byTopic) this.offsets.set(groupId, (byTopic = new Map()));
    let byPartition = byTopic.get(topic);
    if (!byPartition) byTopic.set(topic, (byPartition = new Map()));
    byPartition.set(partition, value);
  }

  committed(groupId: string): Map<string, Map<number, CommittedOffset>> {
    return this.offsets.get(groupId) ?? new Map();
  }

  describe(groupId: string): GroupDescription {
    const group = this.groups.get(groupId);
    if (!group) {
      return { groupId, state: 'Dead', protocolType: '', protocolName: '', generationId: -1, leaderId: null, members: [] };
    }
    const stable = group.state === 'Stable';
    return {
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolName: stable ? (group.protocolName ?? '') : '',
      generationId: group.generationId,
      leaderId: group.leaderId,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? EMPTY,
        assignment: stable ? m.assignment : EMPTY,
      })),
    };
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  /**
   * Broker going down: parked requests die with their connections, and no timer may fire
   * while nobody can heartbeat. Membership and offsets survive, as Kafka keeps them in its log.
   */
  suspend(): void {
    this.running = false;
    for (const group of this.groups.values()) {
      this.clearTimer(group, 'rebalanceTimer');
      this.clearTimer(group, 'initialDelayTimer');
      for (const t of group.pendingMemberIds.values()) clearTimeout(t);
      group.pendingMemberIds.clear();
      for (const m of group.members.values()) {
        if (m.sessionTimer) clearTimeout(m.sessionTimer);
        m.sessionTimer = null;
        m.awaitingJoin = null;
        m.awaitingSync = null;
      }
    }
  }

  /**
   * Broker back up, like a coordinator loading a group from its log: sessions restart from now;
   * a group caught mid-rebalance starts that rebalance over, because the parked joins are gone.
   */
  resume(): void {
    this.running = true;
    for (const group of this.groups.values()) {
      for (const m of group.members.values()) this.touch(group, m);
      if (group.state === 'PreparingRebalance' || group.state === 'CompletingRebalance') {
        group.state = 'Stable';
        this.prepareRebalance(group, 'broker restarted mid-rebalance');
      }
    }
  }

  private groupFor(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (!group) {
      group = {
        groupId,
        state: 'Empty',
        generationId: 0,
        protocolType: null,
        protocolName: null,
        leaderId: null,
        members: new Map(),
        pendingMemberIds: new Map(),
        rebalanceTimer: null,
        initialDelayTimer: null,
        reasons: [],
      };
      this.groups.set(groupId, group);
    }
    return group;
  }

  private protocolsCompatible(group: Group, req: JoinRequest): boolean {
    if (group.protocolType !== null && group.protocolType !== req.protocolType) return false;
    return this.commonProtocols(group, req.memberId, req.protocols).length > 0;
  }

  /** Protocol names every member (with `self` swapped for its new list) supports. */
  private commonProtocols(group: Group, selfId: string, selfProtocols: { name: string }[]): string[] {
    let names = selfProtocols.map((p) => p.name);
    for (const m of group.members.values()) {
      if (m.memberId === selfId) continue;
      const theirs = new Set(m.protocols.map((p) => p.name));
      names = names.filter((n) => theirs.has(n));
    }
    return names;
  }

  private prepareRebalance(group: Group, reason: string): void {
    if (group.state === 'CompletingRebalance') {
      // Followers parked in SyncGroup learn that the generation they joined is already over.
      for (const m of group.members.values()) {
        m.awaitingSync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
        m.awaitingSync = null;
      }
    }
    const wasEmpty = group.state === 'Empty';
    group.state = 'PreparingRebalance';
    group.reasons.push(reason);
    if (wasEmpty && this.options.initialRebalanceDelayMs > 0) {
      group.initialDelayTimer = setTimeout(() => {
        group.initialDelayTimer = null;
        this.maybeCompleteJoin(group);
      }, this.options.initialRebalanceDelayMs);
    }
    this.clearTimer(group, 'rebalanceTimer');
    const timeout = Math.max(0, ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs));
    group.rebalanceTimer = setTimeout(() => {
      group.rebalanceTimer = null;
      this.onRebalanceTimeout(group);
    }, timeout);
  }

  /** Members that did not rejoin within the rebalance timeout are dropped, and the rest proceed. */
  private onRebalanceTimeout(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    this.clearTimer(group, 'initialDelayTimer');
    for (const m of [...group.members.values()]) {
      if (m.awaitingJoin) continue;
      this.dropMember(group, m);
      group.reasons.push(`member ${m.memberId} did not rejoin within the rebalance timeout`);
    }
    this.completeJoin(group);
  }

  private maybeCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance' || group.initialDelayTimer) return;
    for (const m of group.members.values()) if (!m.awaitingJoin) return;
    this.completeJoin(group);
  }

  private completeJoin(group: Group): void {
    this.clearTimer(group, 'rebalanceTimer');
    this.clearTimer(group, 'initialDelayTimer');
    group.generationId += 1;
    const reasons = group.reasons.join('; ');
    group.reasons = [];
    if (group.members.size === 0) {
      group.state = 'Empty';
      group.leaderId = null;
      group.protocolName = null;
      this.log.info(`group ${group.groupId} rebalanced to generation ${group.generationId}, now empty (${reasons})`);
      return;
    }
    const members = [...group.members.values()];
    if (!group.leaderId || !group.members.has(group.leaderId)) group.leaderId = members[0]!.memberId;
    group.protocolName = this.electProtocol(group);
    group.state = 'CompletingRebalance';
    this.log.info(
      `group ${group.groupId} rebalanced to generation ${group.generationId} (${reasons}): protocol ${group.protocolName}, leader ${group.leaderId}, members [${members.map((m) => m.memberId).join(', ')}]`,
    );
    const roster = members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.protocols.find((p) => p.name === group.protocolName)!.metadata,
    }));
    for (const m of members) {
      const reply = m.awaitingJoin!;
      m.awaitingJoin = null;
      this.touch(group, m);
      reply({
        errorCode: ErrorCode.NONE,
        generationId: group.generationId,
        protocolName: group.protocolName,
        leaderId: group.leaderId,
        memberId: m.memberId,
        // Only the leader computes the assignment, so only it needs everyone's subscriptions.
        members: m.memberId === group.leaderId ? roster : [],
      });
    }
  }

  /** Each member votes for its most preferred protocol among those all members support. */
  private electProtocol(group: Group): string {
    const members = [...group.members.values()];
    const candidates = new Set(this.commonProtocols(group, '', members[0]!.protocols));
    const votes = new Map<string, number>();
    for (const m of members) {
      const choice = m.protocols.find((p) => candidates.has(p.name))!.name;
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    // Ties go to the leader's preference order, which keeps the choice deterministic.
    const leader = group.members.get(group.leaderId!)!;
    let best = leader.protocols.find((p) => candidates.has(p.name))!.name;
    for (const [name, count] of votes) if (count > (votes.get(best) ?? 0)) best = name;
    return best;
  }

  /** Restarts the member's session clock (Kafka's "completeAndScheduleNextHeartbeatExpiration"). */
  private touch(group: Group, member: Member): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
    if (!this.running) return;
    member.sessionTimer = setTimeout(() => {
      member.sessionTimer = null;
      if (group.members.get(member.memberId) !== member) return;
      // A member parked in JoinGroup/SyncGroup is waiting on us, not dead; keep it.
      if (member.awaitingJoin || member.awaitingSync) return this.touch(group, member);
      this.removeMember(group, member, `session timeout (${member.sessionTimeoutMs} ms without heartbeat)`);
    }, member.sessionTimeoutMs);
  }

  private removeMember(group: Group, member: Member, reason: string): void {
    this.dropMember(group, member);
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') {
      this.prepareRebalance(group, `member ${member.memberId} ${reason}`);
    } else {
      group.reasons.push(`member ${member.memberId} ${reason}`);
    }
    this.maybeCompleteJoin(group);
  }

  private dropMember(group: Group, member: Member): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.awaitingJoin?.(this.joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    member.awaitingSync?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    group.members.delete(member.memberId);
    if (group.leaderId === member.memberId) group.leaderId = null;
  }

  private joinError(errorCode: number, memberId: string): JoinResult {
    return { errorCode, generationId: -1, protocolName: '', leaderId: '', memberId, members: [] };
  }

  private clearTimer(group: Group, key: 'rebalanceTimer' | 'initialDelayTimer'): void {
    const t = group[key];
    if (t) clearTimeout(t);
    group[key] = null;
  }
}
