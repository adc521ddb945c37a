import type { Broker } from '@wsgate/core';

/** What the chat hears from the broker. */
export interface RemoteListener {
  /**
   * A text message another instance published. Return `true` to keep it from the local sessions (a
   * control message between instances), `false` to let core deliver it as usual.
   */
  message(topic: string, payload: string): boolean;
  /** This instance now receives the topic from the others (the first local session joined it). */
  subscribed(topic: string): void;
  /** This instance stopped receiving the topic (its last local session left). */
  unsubscribed(topic: string): void;
}

/** A broker wrapped so the chat can watch and talk to the other instances. */
export interface BrokerTap {
  /** Give this to the gate instead of the wrapped broker. */
  readonly broker: Broker;
  /** Sends a text message to the topic on the other instances only (no local session receives it). */
  publishToOthers(topic: string, payload: string): void;
  /** Sets who hears messages from other instances. */
  listen(listener: RemoteListener): void;
}

/**
 * Wraps any wsgate broker (memory or Redis). Core subscribes a topic only while a local session is in it,
 * so the chat hears a room's traffic from other instances exactly while it has members there: enough to
 * keep their presence and history without a store of its own.
 */
export function tapBroker(inner: Broker): BrokerTap {
  let listener: RemoteListener = { message: () => false, subscribed() {}, unsubscribed() {} };
  const broker: Broker = {
    init: (ctx) => inner.init?.(ctx),
    subscribe: (topic, onMessage) => {
      const done = inner.subscribe(topic, (payload, binary) => {
        // The chat only publishes JSON text; binary frames are not ours to inspect.
        if (!binary && listener.message(topic, payload.toString())) return;
        onMessage(payload, binary);
      });
      // Only once Redis confirmed the SUBSCRIBE can the answers to what we ask the others reach us.
      if (done === undefined) listener.subscribed(topic);
      else return done.then(() => listener.subscribed(topic));
    },
    unsubscribe: (topic) => {
      listener.unsubscribed(topic);
      return inner.unsubscribe(topic);
    },
    publish: (topic, payload, options) => inner.publish(topic, payload, options),
    close: () => inner.close(),
  };
  return {
    broker,
    publishToOthers: (topic, payload) => {
      // Brokers report their failures to the gate's onError (the Redis broker never rejects); a control
      // message that is lost only leaves a presence list short until the next join or leave.
      try {
        void Promise.resolve(inner.publish(topic, payload, { binary: false })).catch(() => {});
      } catch {}
    },
    listen: (next) => {
      listener = next;
    },
  };
}
