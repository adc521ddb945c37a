/** @module @wsgate/core/testing: scripted assertions over gate.inject (no port), in the spirit of superwstest. */
// @wsgate/core/testing: scripted assertions over `gate.inject` (no port), in the spirit of
// superwstest: `await wsTest(gate, '/chat').sendJson(x).expectJson(y).expectClosed(1000)`.
export {
  type Expectation,
  type Injectable,
  type ReceivedFrom,
  type SentBy,
  type WsTest,
  type WsTestOptions,
  wsTest,
} from './testing/ws-test.js';
