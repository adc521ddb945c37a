import type { TopicSource } from '../protocol/topic-streams.js';
import type { StatsCounter } from '../stats.js';
import type { JoinOptions } from '../topics/topics.js';
import type { SendData, Session } from './session.js';

/** What a session needs from its gate; an internal seam that keeps session.ts free of the gate. */
export interface SessionHost {
  readonly stats: StatsCounter;
  readonly topics: {
    join(topic: string, session: Session<unknown>, options?: JoinOptions): Promise<void> | undefined;
    leave(topic: string, session: Session<unknown>): void;
    publish(topic: string, data: SendData, except?: Session<unknown>): void;
    /** What a wsgate.v1 session's resume reads of a topic it joined (`ready`: the join's promise). */
    source(topic: string, ready: Promise<void> | undefined): TopicSource;
  };
  sessionClosed(session: Session<unknown>, code: number, reason: string): void;
  socketError(err: Error, session: Session<unknown>): void;
  /** A session event listener threw (a bug in the application): report it and close that session 1011. */
  listenerError(err: unknown, session: Session<unknown>): void;
}
