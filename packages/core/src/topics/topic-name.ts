import type { Broker } from '../broker.js';

const wellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Refuses a topic name that cannot be carried one-to-one: it must be a non-empty, well-formed UTF-16
 * string. A lone surrogate (an emoji cut in half by `slice`) has no UTF-8 form: every broker that sends
 * names as bytes (Redis channels and keys) would turn it into U+FFFD, so two different names would meet
 * on one channel, and the other nodes would deliver under a name no local session subscribed to. Then the
 * broker may refuse names it cannot carry either ({@link Broker.checkTopic}).
 */
export function checkTopic(topic: unknown, broker: Broker): asserts topic is string {
  if (typeof topic !== 'string' || topic === '')
    throw new TypeError('wsgate: topic must be a non-empty string');
  if (!(wellFormed ? wellFormed.call(topic) : !LONE_SURROGATE.test(topic)))
    throw new TypeError(
      `wsgate: topic ${JSON.stringify(topic)} is not well-formed UTF-16 (a lone surrogate, e.g. an emoji cut ` +
        'by slice()): it has no UTF-8 form, so it cannot name a channel one-to-one',
    );
  broker.checkTopic?.(topic);
}
