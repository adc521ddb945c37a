// TypeDoc plugin: each entry file opens with `/** @module @wsgate/core: what it is */`, one line that both
// names the module and says what it is (STYLE.md). TypeDoc takes the whole line as the name; this keeps
// the package name as the name and the rest as the module's summary.
import { Comment, Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const match = /^(@wsgate\/[a-z]+(?:\/[a-z]+)?):\s*(.*)$/s.exec(module.name);
      if (!match) continue;
      module.name = match[1];
      if (!module.comment?.summary.length) module.comment = new Comment([{ kind: 'text', text: match[2] }]);
    }
  });
}
