import { coexistenceSuite } from './coexistence.ts';
import { contractSuite } from './contracts.ts';
import { faultSuite } from './faults.ts';
import { flowSuite } from './flow.ts';
import { handshakeFuzzSuite } from './handshake-fuzz.ts';
import { pathGuardSuite } from './path-guards.ts';
import { peerSuite } from './peers.ts';
import { protocolSuite } from './protocol.ts';
import { refusalLogSuite } from './refusal-logs.ts';
import { refusalSuite } from './refusals.ts';
import { reliabilitySuite } from './reliability.ts';
import { robustnessSuite } from './robustness.ts';
import { securitySuite } from './security.ts';
import { sessionSuite } from './sessions.ts';
import { shutdownSuite } from './shutdown.ts';
import type { ConformanceTarget, Tier } from './target.ts';
import { topicSuite } from './topics.ts';

/**
 * The conformance suite, written once and run against core alone and every adapter. Each adapter's test
 * file only provides a {@link ConformanceTarget}.
 */
export function runConformance(target: ConformanceTarget, tier: Tier = 'full'): void {
  refusalSuite(target);
  refusalLogSuite(target);
  robustnessSuite(target);
  reliabilitySuite(target);
  sessionSuite(target, tier);
  if (tier === 'full') {
    flowSuite(target);
    topicSuite(target);
    protocolSuite(target);
    peerSuite(target);
  }
  shutdownSuite(target);
  faultSuite(target);
  securitySuite(target);
  coexistenceSuite(target);
  handshakeFuzzSuite(target);
  pathGuardSuite(target);
  contractSuite(target);
}
