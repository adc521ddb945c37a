/**
 * What the soak's parent (servers) and child (clients) say to each other over IPC, and the message format
 * on the wire. Every message names its sender and sequence number, so the receiving side can prove that
 * none was lost, duplicated or reordered:
 * - `d|<conn>|<seq>`: a direct message; the server echoes it to its sender.
 * - `p|<conn>|<seq>`: a publish; the server relays it to the other members of the sender's room.
 * - `g|<room>|<seq>`: a `gate.publish` from the server to a whole room.
 */

/** The soak's size; every count the clients expect follows from it. */
export interface SoakPlan {
  /** Targets to connect to: name and `ws://` base URL. */
  targets: Array<{ name: string; wsUrl: string }>;
  /** Connections per target. */
  connections: number;
  /** Rooms per target; connection `i` joins room `i % rooms`. */
  rooms: number;
  /** Direct messages per connection. */
  direct: number;
  /** Publishes per connection. */
  publishes: number;
  /** `gate.publish` calls per room. */
  gatePublishes: number;
  /** Source addresses 127.0.0.2 .. 127.0.0.(1 + sourceAddresses), so per-IP limits stay at their defaults. */
  sourceAddresses: number;
  /** Handshakes in flight at most, per target. */
  concurrency: number;
}

/** `go` starts one round of traffic; sequence numbers continue across rounds. */
export type ToChild = { type: 'connect'; plan: SoakPlan } | { type: 'go'; round: number } | { type: 'close' };

export type ToParent =
  | { type: 'connected'; open: number; failed: string[] }
  /** The round's counts are armed: only now may the server publish to the rooms. */
  | { type: 'going' }
  | { type: 'done'; received: number; errors: string[] }
  | { type: 'closed'; codes: Record<string, number> };

/** Room of connection `i`. */
export const roomOf = (i: number, rooms: number): string => `r${i % rooms}`;

/** Members of the room connection `i` is in (for the counts it expects). */
export function roomSize(i: number, plan: SoakPlan): number {
  const r = i % plan.rooms;
  return Math.floor(plan.connections / plan.rooms) + (r < plan.connections % plan.rooms ? 1 : 0);
}

/** How many messages connection `i` must receive in all. */
export function expectedFor(i: number, plan: SoakPlan): number {
  return plan.direct + (roomSize(i, plan) - 1) * plan.publishes + plan.gatePublishes;
}
