import { CloseCode } from '../close-policy.js';
import type { ProtocolPeer } from '../protocol/index.js';
import { write } from './outbound.js';
import type { Session } from './session.js';

/** What the wsgate.v1 layer may do with its session. */
export function protocolPeer(session: Session<unknown>): ProtocolPeer {
  return {
    write: (frame) => write(session, frame),
    close: (code, reason) => session.close(code, reason),
    get open() {
      return session.readyState === 1;
    },
    report: (err) => session._onError(err instanceof Error ? err : new Error(String(err))),
    backpressure: {
      limit: session._settings.backpressure.limit,
      policy: session._settings.backpressure.policy,
      overflow: () => {
        session._host.stats.slowConsumer('close');
        session.close(CloseCode.tryAgainLater, 'backpressure limit exceeded');
      },
    },
  };
}
