import type { IncomingMessage } from 'node:http';
import { createGate, type Params, type RouteParams, type Session } from '@wsgate/core';
import { describe, expectTypeOf, it } from 'vitest';

// Type tests: vitest's typecheck mode compiles this file and fails the run on a wrong assertion or an unused
// `@ts-expect-error`. Nothing here runs.

describe('RouteParams: params typed from the path string', () => {
  it('a named param is a string; a name the path does not declare is an error', () => {
    expectTypeOf<RouteParams<'/rooms/:room'>>().toEqualTypeOf<{ room: string }>();
    expectTypeOf<RouteParams<'/orgs/:org/rooms/:room'>>().toEqualTypeOf<{ org: string; room: string }>();
    const params = {} as RouteParams<'/rooms/:room'>;
    // @ts-expect-error: '/rooms/:room' has no param 'nope'
    params.nope;
  });

  it('an optional param may be missing; a wildcard has a key', () => {
    expectTypeOf<RouteParams<'/files/:name?'>>().toEqualTypeOf<{ name?: string | undefined }>();
    expectTypeOf<RouteParams<'/files/:name?'>['name']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<RouteParams<'/assets/*'>>().toEqualTypeOf<{ '*': string }>();
    expectTypeOf<RouteParams<'/assets/*rest'>>().toEqualTypeOf<{ rest: string }>();
    expectTypeOf<RouteParams<'/u/:id/*'>>().toEqualTypeOf<{ id: string; '*': string }>();
  });

  it('a static path has no params; a non-literal path falls back to Params', () => {
    expectTypeOf<RouteParams<'/chat'>>().toEqualTypeOf<Record<never, never>>();
    expectTypeOf<RouteParams<string>>().toEqualTypeOf<Params>();
    expectTypeOf<Params>().toEqualTypeOf<Record<string, string>>();
  });

  it('a find-my-way regex constraint is not part of the name', () => {
    expectTypeOf<RouteParams<'/users/:id(^\\d+$)'>>().toEqualTypeOf<{ id: string }>();
  });
});

describe('gate.route types session.params from its path', () => {
  const gate = createGate<{ name: string }>();

  it('literal paths, with and without route options', () => {
    gate.route('/rooms/:room', (session, req) => {
      expectTypeOf(session.params.room).toEqualTypeOf<string>();
      expectTypeOf(session.user).toEqualTypeOf<{ name: string } | undefined>();
      expectTypeOf(req).toEqualTypeOf<IncomingMessage>();
      // @ts-expect-error: '/rooms/:room' has no param 'nope'
      session.params.nope;
    });
    gate.route('/files/:name?', { maxPayload: 1024 }, (session) => {
      expectTypeOf(session.params.name).toEqualTypeOf<string | undefined>();
    });
    gate.route('/assets/*', (session) => {
      expectTypeOf(session.params['*']).toEqualTypeOf<string>();
    });
  });

  it('a string path gives Record<string, string>, as before', () => {
    const path: string = '/anything';
    gate.route(path, (session) => {
      expectTypeOf(session.params).toEqualTypeOf<Record<string, string>>();
      expectTypeOf(session.params.whatever).toEqualTypeOf<string | undefined>();
    });
  });

  it('Session defaults keep existing code compiling; a typed session is still a Session', () => {
    expectTypeOf<Session['params']>().toEqualTypeOf<Params>();
    expectTypeOf<Session<{ id: number }>['params']>().toEqualTypeOf<Params>();
    expectTypeOf<Session<unknown, RouteParams<'/rooms/:room'>>>().toExtend<Session>();
    const join = (session: Session<{ name: string }, RouteParams<'/rooms/:room'>>) => session.params.room;
    gate.route('/rooms/:room', join);
    // @ts-expect-error: a handler that needs ':room' cannot serve a path without it
    gate.route('/lobby', join);
  });
});
