#!/bin/bash
# Splits a callgrind profile's instructions per operation into V8's compiler, GC and deoptimisation (which
# swing ~15% between runs of the same code while V8 is still compiling) and the rest ("mutator"): the part a
# code change moves. BENCH_CALLGRIND's log line shows the operations of each window.
# usage: bench/callgrind-split.sh OPS callgrind.out...
ops=$1; shift
for f in "$@"; do
callgrind_annotate --threshold=100 "$f" 2>/dev/null | awk -v ops=$ops -v f="$(basename $f)" '
/PROGRAM TOTALS/ {gsub(",","",$1); total=$1}
/^ *[0-9,]+ \( *[0-9.]+%\)  / {
  v=$1; gsub(",","",v); line=$0
  c="other"
  if (line ~ /v8::internal::compiler::|turboshaft|maglev|Maglev|Turbofan|PipelineImpl|OptimizedCompilationJob|v8::internal::Zone|ZoneList|Compiler::|Parser|Scanner|Bytecode(Generator|Array)|interpreter::|AstNode|Ast[A-Z]/) c="compile"
  else if (line ~ /Deoptimizer|TranslatedState|TranslatedFrame|TranslationArray|TranslatedValue/) c="deopt"
  else if (line ~ /Scaveng|Mark|Sweep|Heap::|heap::|Evacuat|RememberedSet|SlotSet|Marking|GCTracer|MemoryChunk|PagedSpace|NewSpace|Compactor|ConcurrentMarking/) c="gc"
  else if (line ~ /Builtins_/) c="builtins"
  else if (line ~ /\?\?\?:0x/) c="jit"
  else if (line ~ /libc\.so|malloc|memcpy|memmove|memset|strlen/) c="libc"
  else if (line ~ /libuv|uv_|node::|libssl|libcrypto|EVP_|SHA1|sha1/) c="node-native"
  else if (line ~ /v8::internal::|v8::/) c="v8-runtime"
  s[c]+=v; sum+=v
}
END { m=total-s["compile"]-s["deopt"]-s["gc"]; printf "%s total %.1fk mutator %.1fk | compile %.1fk gc %.1fk deopt %.1fk builtins %.1fk jit %.1fk runtime %.1fk\n", f, total/ops/1000, m/ops/1000, s["compile"]/ops/1000, s["gc"]/ops/1000, s["deopt"]/ops/1000, s["builtins"]/ops/1000, s["jit"]/ops/1000, s["v8-runtime"]/ops/1000 }'
done
