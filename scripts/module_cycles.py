#!/usr/bin/env python3
"""Find module dependency cycles inside one Rust library crate.

Why: rustc accepts modules that use each other in a circle, so nothing stops
the crate's layers (tickets -> db -> ...) from knotting together one `use` at
a time. This script makes such knots visible: it builds the graph of which
module refers to which, collapses it to a chosen depth (`--depth 1`: `tickets`,
`db`, ...; `--depth 2`: `tickets::inbox`, `handlers::panel`, ...) and prints
every strongly connected component (a set of modules each reachable from the
others) together with the file and line of each reference inside it.

CI runs it with `--allow scripts/module_cycles.allow`: the cycles the crate
still has are listed there, and the run fails if a cycle appears that is not
listed, or if a listed cycle no longer exists (so the list is kept exact and
can only shrink as refactors remove them).

Usage:
    module_cycles.py REPO_ROOT [--depth N] [--include-tests]
                     [--no-follow-reexports] [--no-parent-child] [--max-locs K] [--edges]
                     [--allow FILE]

What counts as a reference from module A to module B (B != A at the chosen depth):
  * `use crate::b::...`, `use super::...`, `use self::...`, `use child::...`
    (2018+ uniform paths to a child module), `use alias::...` where `alias` was
    imported earlier in the same file; all leaves of nested `{...}` trees.
  * `pub use` / `pub(crate) use` re-exports (an edge from the re-exporting module
    to the origin of the item).
  * paths in code: `crate::b::x`, `super::x`, `self::x`, `child::x`, and
    `alias::x` where `alias` is a *module* imported with `use` in the same file
    (e.g. `use crate::db;` ... `db::tickets::get(..)` gives an edge to db::tickets).
  * By default, a path naming an item that a module re-exports (`pub use`) is
    resolved to the module where the item really lives (`crate::tickets::Refusal`
    -> `tickets::error`). `--no-follow-reexports` keeps the re-exporting module.

Module -> file mapping: src/lib.rs is the crate root; src/a.rs or src/a/mod.rs is
`a`; src/a/b.rs or src/a/b/mod.rs is `a::b`. src/main.rs and src/bin/ are separate
binary crates and are skipped. Inline `mod x { ... }` blocks are tracked
(so `super::` inside them resolves correctly); `#[cfg(test)] mod NAME { ... }`
blocks are skipped unless --include-tests.

Comments, string/char literals and raw strings are blanked before parsing, so
doc comments / intra-doc links do not count.

Output: every strongly connected component with more than one member, with, for
each edge inside it, the files and line numbers that create it. Exit code 1 if
at least one cycle exists, 0 otherwise, 2 on usage error.

With --allow FILE (the ratchet): FILE lists known cycles, one per line as
`DEPTH MEMBER MEMBER ...` (members sorted, `#` starts a comment); only the
lines for the --depth being checked are used. Listed cycles are printed on
one line each; the exit code is 1 if a cycle at this depth is not listed
(printed with its edges) or a listed one is not found any more (a cycle whose
members changed counts as both), 0 if the two sets are equal, 2 if FILE is
malformed.

Limits (it reads text; it is not rustc):
  * Only references spelled as paths are seen. A type reached through
    inference, a method called on a value, or a trait brought in by a glob
    import from elsewhere creates no edge, so a real dependency can be missed.
  * Paths produced by macros (macro_rules!, derive output, sqlx's query!
    macros) are invisible; paths written inside a macro call's arguments are
    counted like ordinary code.
  * `#[path = ...]` module attributes, `include!` and build-script output are
    not understood; modules are found by file layout only.
  * `cfg` is ignored except for `#[cfg(test)] mod NAME`: code behind a feature
    or target cfg counts whether or not it is compiled.
  * Name resolution is approximate: a local item or extern crate that happens
    to share a name with a child module is taken for the module; glob imports
    (`use x::*`) give an edge to `x` but do not make its names resolvable.
  * Only the library crate (src/lib.rs and below) is analysed; binaries,
    tests/, benches and other workspace members are not.
  * An edge between a module and its own parent (`super::Thing`) is a
    reference like any other; at depth 2 this links e.g. `tickets` and
    `tickets::inbox` (see --no-parent-child).
"""

import argparse
import os
import re
import sys
from collections import defaultdict

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


# --------------------------------------------------------------------------
# Lexical clean-up
# --------------------------------------------------------------------------

def blank_comments_and_strings(text):
    """Replace comments and string/char literal contents with spaces.

    Newlines are preserved, so offsets and line numbers stay valid.
    """
    out = list(text)
    n = len(text)

    def fill(a, b):
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    def is_ident_char(ch):
        return ch.isalnum() or ch == "_"

    i = 0
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            fill(i, j)
            i = j
        elif c == "/" and i + 1 < n and text[i + 1] == "*":
            depth = 1
            j = i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth += 1
                    j += 2
                elif text.startswith("*/", j):
                    depth -= 1
                    j += 2
                else:
                    j += 1
            fill(i, j)
            i = j
        elif c in "rb" and (i == 0 or not is_ident_char(text[i - 1])):
            # raw strings r"..", r#".."#, br"..", br#".."#; byte strings b".."
            j = i
            if text[j] == "b":
                j += 1
            if j < n and text[j] == "r":
                k = j + 1
                hashes = 0
                while k < n and text[k] == "#":
                    hashes += 1
                    k += 1
                if k < n and text[k] == '"':
                    end = text.find('"' + "#" * hashes, k + 1)
                    end = n if end < 0 else end + 1 + hashes
                    fill(i, end)
                    i = end
                    continue
            if text[i] == "b" and i + 1 < n and text[i + 1] in "\"'":
                i += 1  # let the string / char branch handle it
                continue
            i += 1
        elif c == '"':
            j = i + 1
            while j < n:
                if text[j] == "\\":
                    j += 2
                    continue
                if text[j] == '"':
                    break
                j += 1
            fill(i, j + 1)
            i = j + 1
        elif c == "'":
            # char literal or lifetime / label
            if i + 1 < n and text[i + 1] == "\\":
                end = text.find("'", i + 3)
                end = n if end < 0 else end + 1
                fill(i, end)
                i = end
            elif i + 2 < n and text[i + 2] == "'":
                fill(i, i + 3)
                i += 3
            else:
                i += 1  # lifetime
        else:
            i += 1
    return "".join(out)


def matching_brace(code, open_pos):
    depth = 0
    for k in range(open_pos, len(code)):
        ch = code[k]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return k
    return len(code) - 1


def fill_range(code, a, b):
    return code[:a] + re.sub(r"[^\n]", " ", code[a:b]) + code[b:]


# --------------------------------------------------------------------------
# Module map
# --------------------------------------------------------------------------

def module_of_file(rel):
    """src-relative path -> tuple of module segments (None if not a lib module)."""
    parts = rel.replace(os.sep, "/").split("/")
    if parts == ["lib.rs"]:
        return ()
    if parts == ["main.rs"] or parts[0] == "bin":
        return None
    if parts[-1] == "mod.rs":
        return tuple(parts[:-1])
    parts[-1] = parts[-1][:-3]
    return tuple(parts)


def collect_files(root):
    src = os.path.join(root, "src")
    files = {}
    for dirpath, _dirs, names in os.walk(src):
        for name in names:
            if not name.endswith(".rs"):
                continue
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, src)
            mod = module_of_file(rel)
            if mod is None:
                continue
            files[mod] = os.path.relpath(full, root)
    return files


def mod_name(m):
    return "::".join(m) if m else "crate"


# --------------------------------------------------------------------------
# Use-tree parsing
# --------------------------------------------------------------------------

USE_RE = re.compile(
    r"(?<![A-Za-z0-9_])(pub(?:\s*\([^)]*\))?\s+)?use\s+([^;]*);", re.S)
TOKEN_RE = re.compile(r"::|[{},*]|" + IDENT)


def parse_use_tree(body, base_offset):
    """Return leaves: (segments, alias_or_None_for_glob, offset_of_last_token)."""
    toks = [(m.group(0), base_offset + m.start()) for m in TOKEN_RE.finditer(body)]
    leaves = []
    pos = 0

    def parse(prefix):
        nonlocal pos
        segs = list(prefix)
        last_off = toks[pos][1] if pos < len(toks) else base_offset
        if pos < len(toks) and toks[pos][0] == "::":
            pos += 1  # leading :: (extern path) - keep going, unresolvable anyway
            segs.append("::")
        while pos < len(toks):
            t, off = toks[pos]
            if t == "{":
                pos += 1
                while pos < len(toks) and toks[pos][0] != "}":
                    if toks[pos][0] == ",":
                        pos += 1
                        continue
                    parse(segs)
                pos += 1  # skip }
                return
            if t == "*":
                pos += 1
                leaves.append((segs, None, off))
                return
            if t in (",", "}"):
                break
            if t == "::":
                pos += 1
                continue
            if t == "as":
                pos += 1
                alias = toks[pos][0] if pos < len(toks) else "_"
                pos += 1
                if segs and segs[-1] == "self":
                    segs = segs[:-1]
                leaves.append((segs, alias, last_off))
                return
            segs.append(t)
            last_off = off
            pos += 1
        if segs and segs[-1] == "self":
            segs = segs[:-1]
        if segs:
            leaves.append((segs, segs[-1], last_off))

    while pos < len(toks):
        if toks[pos][0] == ",":
            pos += 1
            continue
        before = pos
        parse([])
        if pos == before:
            pos += 1
    return leaves


# --------------------------------------------------------------------------
# Per-file analysis
# --------------------------------------------------------------------------

class FileInfo:
    def __init__(self, mod, path):
        self.mod = mod
        self.path = path
        self.code = ""
        self.line_starts = []
        self.inline_mods = []   # (start, end, name)
        self.uses = []          # (scope_mod, segs, alias, offset, is_pub)
        self.aliases = {}       # name -> (scope_mod, segs)
        self.code_paths = []    # (scope_mod, segs, offset)

    def line_of(self, off):
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= off:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def scope_at(self, off):
        best = None
        for (a, b, chain) in self.inline_mods:
            if a <= off <= b and (best is None or len(chain) > len(best)):
                best = chain
        return self.mod + tuple(best or ())


CFG_TEST_MOD_RE = re.compile(
    r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]\s*(?:#\s*\[[^\]]*\]\s*)*"
    r"(?:pub(?:\s*\([^)]*\))?\s+)?mod\s+(" + IDENT + r")\s*([{;])")
INLINE_MOD_RE = re.compile(
    r"(?<![A-Za-z0-9_])mod\s+(" + IDENT + r")\s*\{")
PATH_RE = re.compile(
    r"(?<![A-Za-z0-9_:#$])" + IDENT + r"(?:\s*::\s*" + IDENT + r")+")
PUB_IN_RE = re.compile(r"pub\s*\(\s*in\s+[^)]*\)")


def analyse_file(root, mod, rel, include_tests, test_file_mods):
    fi = FileInfo(mod, rel)
    with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    code = blank_comments_and_strings(text)
    fi.line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]

    if not include_tests:
        while True:
            m = CFG_TEST_MOD_RE.search(code)
            if not m:
                break
            if m.group(2) == ";":
                test_file_mods.add(mod + (m.group(1),))
                code = fill_range(code, m.start(), m.end())
            else:
                end = matching_brace(code, m.end() - 1)
                code = fill_range(code, m.start(), end + 1)

    code = PUB_IN_RE.sub(lambda m: " " * len(m.group(0)), code)

    # inline modules (nesting chain)
    spans = []
    for m in INLINE_MOD_RE.finditer(code):
        end = matching_brace(code, m.end() - 1)
        spans.append((m.start(), end, m.group(1)))
    for (a, b, name) in spans:
        # enclosing inline modules, outer -> inner
        chain = [n for (a2, b2, n) in sorted(spans) if a2 <= a and b <= b2]
        fi.inline_mods.append((a, b, chain))

    # use statements
    for m in USE_RE.finditer(code):
        is_pub = bool(m.group(1))
        scope = fi.scope_at(m.start())
        for segs, alias, off in parse_use_tree(m.group(2), m.start(2)):
            fi.uses.append((scope, segs, alias, off, is_pub))
            if alias and alias != "_":
                fi.aliases[alias] = (scope, segs)
        code = fill_range(code, m.start(), m.end())

    fi.code = code
    for m in PATH_RE.finditer(code):
        segs = [s.strip() for s in m.group(0).split("::")]
        fi.code_paths.append((fi.scope_at(m.start()), segs, m.start()))
    return fi


# --------------------------------------------------------------------------
# Resolution
# --------------------------------------------------------------------------

class Resolver:
    def __init__(self, modules, infos, follow_reexports):
        self.modules = set(modules)
        self.infos = infos              # file module -> FileInfo
        self.follow = follow_reexports
        # module -> name -> (scope, segs) for pub use leaves
        self.reexports = defaultdict(dict)
        for fi in infos.values():
            for scope, segs, alias, _off, is_pub in fi.uses:
                if is_pub and alias and alias != "_":
                    self.reexports[scope][alias] = (scope, segs)
        # inline modules also count as modules
        for fi in infos.values():
            for (_a, _b, chain) in fi.inline_mods:
                self.modules.add(fi.mod + tuple(chain))

    def file_info_for(self, scope):
        m = tuple(scope)
        while m not in self.infos and m:
            m = m[:-1]
        return self.infos.get(m)

    def base(self, scope, segs, allow_alias, seen):
        """Resolve the first segment(s). Returns (abs_prefix, rest, via_alias_kind)."""
        if not segs:
            return None
        first = segs[0]
        if first == "crate":
            return (), segs[1:], None
        if first in ("super", "self"):
            cur = tuple(scope)
            i = 0
            while i < len(segs) and segs[i] in ("super", "self"):
                if segs[i] == "super":
                    if not cur:
                        return None
                    cur = cur[:-1]
                i += 1
            return cur, segs[i:], None
        if tuple(scope) + (first,) in self.modules:
            return tuple(scope) + (first,), segs[1:], None
        if allow_alias:
            fi = self.file_info_for(scope)
            if fi and first in fi.aliases:
                a_scope, a_segs = fi.aliases[first]
                key = ("alias", fi.path, first)
                if key in seen:
                    return None
                r = self.resolve(a_scope, a_segs, seen | {key})
                if r is None:
                    return None
                target_mod, item = r
                if item is None:
                    return target_mod, segs[1:], "module"
                return target_mod, [], "item"
        return None

    def resolve(self, scope, segs, seen=frozenset()):
        """-> (module tuple, item name or None) or None if outside the crate."""
        b = self.base(scope, segs, True, seen)
        if b is None:
            return None
        cur, rest, _kind = b
        return self.walk(cur, rest, seen)

    def walk(self, cur, rest, seen):
        cur = tuple(cur)
        for i, s in enumerate(rest):
            if cur + (s,) in self.modules:
                cur = cur + (s,)
                continue
            if self.follow and s in self.reexports.get(cur, {}):
                key = ("reexport", cur, s)
                if key not in seen:
                    r_scope, r_segs = self.reexports[cur][s]
                    r = self.resolve(r_scope, r_segs, seen | {key})
                    if r is not None:
                        tmod, titem = r
                        if titem is None:  # re-exported module
                            return self.walk(tmod, rest[i + 1:], seen | {key})
                        return tmod, titem
            return cur, s
        return cur, None

    def alias_kind(self, scope, first):
        fi = self.file_info_for(scope)
        if not fi or first not in fi.aliases:
            return None
        a_scope, a_segs = fi.aliases[first]
        r = self.resolve(a_scope, a_segs)
        if r is None:
            return None
        return "module" if r[1] is None else "item"


# --------------------------------------------------------------------------
# Graph
# --------------------------------------------------------------------------

def tarjan(nodes, adj):
    index = {}
    low = {}
    on = set()
    stack = []
    out = []
    counter = [0]

    sys.setrecursionlimit(10000)

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(adj.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            strong(v)
    return out


def truncate(m, depth):
    return tuple(m[:depth])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("root", help="repository root (contains src/)")
    ap.add_argument("--depth", type=int, default=1,
                    help="module depth of graph nodes (1 = top-level modules)")
    ap.add_argument("--include-tests", action="store_true",
                    help="do not skip #[cfg(test)] mod blocks")
    ap.add_argument("--no-follow-reexports", action="store_true",
                    help="a path through a `pub use` points at the re-exporting module")
    ap.add_argument("--max-locs", type=int, default=0,
                    help="max locations printed per edge and file (0 = all)")
    ap.add_argument("--no-parent-child", action="store_true",
                    help="drop edges between a module and its own ancestor/descendant "
                         "(e.g. tickets::open -> tickets for `super::TicketService`)")
    ap.add_argument("--edges", action="store_true",
                    help="also print the whole module graph (edge list with counts)")
    ap.add_argument("--allow", metavar="FILE",
                    help="known cycles (`DEPTH MEMBER...` per line): fail only on a cycle "
                         "not listed, or on a listed cycle that no longer exists")
    args = ap.parse_args(argv)
    if args.depth < 1:
        ap.error("--depth must be >= 1")
    if not os.path.isdir(os.path.join(args.root, "src")):
        ap.error("no src/ under %s" % args.root)
    allowed = None
    if args.allow is not None:
        try:
            allowed = read_allowlist(args.allow, args.depth)
        except (OSError, ValueError) as e:
            ap.error("--allow: %s" % e)

    files = collect_files(args.root)
    test_file_mods = set()
    infos = {}
    for mod, rel in sorted(files.items()):
        infos[mod] = analyse_file(args.root, mod, rel, args.include_tests, test_file_mods)
    if test_file_mods:
        for mod in list(infos):
            if any(mod[:len(t)] == t for t in test_file_mods):
                del infos[mod]
                del files[mod]

    res = Resolver(files.keys(), infos, not args.no_follow_reexports)

    # refs[(src, dst)] -> {file: set(lines)}  (full module paths, truncated later)
    edges = defaultdict(lambda: defaultdict(set))

    def add(src_mod, dst_mod, fi, off, tag):
        s = truncate(src_mod, args.depth)
        d = truncate(dst_mod, args.depth)
        if s == d:
            return
        if args.no_parent_child and (s[:len(d)] == d or d[:len(s)] == s):
            return
        edges[(s, d)][fi.path].add((fi.line_of(off), tag))

    for fi in infos.values():
        for scope, segs, _alias, off, is_pub in fi.uses:
            r = res.resolve(scope, segs)
            if r is None:
                continue
            add(scope, r[0], fi, off, "pub use" if is_pub else "use")
        for scope, segs, off in fi.code_paths:
            first = segs[0]
            if first not in ("crate", "super", "self") and \
                    tuple(scope) + (first,) not in res.modules:
                # only paths through a module alias refine the graph; item
                # aliases (`Refusal::X`) are already counted at their `use`.
                if res.alias_kind(scope, first) != "module":
                    continue
            r = res.resolve(scope, segs)
            if r is None:
                continue
            add(scope, r[0], fi, off, "path")

    nodes = set(truncate(m, args.depth) for m in res.modules)
    adj = defaultdict(set)
    for (s, d) in edges:
        adj[s].add(d)
        nodes.add(s)
        nodes.add(d)

    if args.edges:
        print("# module graph at depth %d (%d nodes, %d edges)" %
              (args.depth, len(nodes), len(edges)))
        for (s, d) in sorted(edges):
            n = sum(len(v) for v in edges[(s, d)].values())
            print("  %s -> %s  (%d refs)" % (mod_name(s), mod_name(d), n))
        print()

    sccs = [c for c in tarjan(nodes, adj) if len(c) > 1]
    sccs.sort(key=lambda c: (-len(c), c))
    if allowed is not None:
        return check_allowlist(sccs, allowed, args, adj, edges)
    if not sccs:
        print("No module cycles at depth %d." % args.depth)
        return 0

    print("%d cycle(s) (strongly connected components) at depth %d:" %
          (len(sccs), args.depth))
    for i, comp in enumerate(sccs, 1):
        print()
        print_cycle(i, comp, adj, edges, args.max_locs)
    return 1


def cycle_key(comp):
    """A cycle's identity: the sorted names of its members."""
    return tuple(sorted(mod_name(m) for m in comp))


def read_allowlist(path, depth):
    """-> {members tuple: line number} for the lines of FILE at `depth`.

    Raises ValueError on a malformed line, so a typo cannot silently allow
    nothing (or everything).
    """
    out = {}
    with open(path, encoding="utf-8") as fh:
        for n, raw in enumerate(fh, 1):
            line = raw.split("#", 1)[0].split()
            if not line:
                continue
            where = "%s:%d" % (path, n)
            if not line[0].isdigit() or int(line[0]) < 1:
                raise ValueError("%s: expected `DEPTH MEMBER MEMBER...`" % where)
            members = tuple(line[1:])
            if len(members) < 2:
                raise ValueError("%s: a cycle has at least two members" % where)
            if list(members) != sorted(set(members)):
                raise ValueError("%s: members must be sorted and distinct: %s"
                                 % (where, " ".join(sorted(set(members)))))
            if int(line[0]) != depth:
                continue
            if members in out:
                raise ValueError("%s: repeats line %d" % (where, out[members]))
            out[members] = n
    return out


def check_allowlist(sccs, allowed, args, adj, edges):
    found = {cycle_key(c): c for c in sccs}
    known = [k for k in found if k in allowed]
    new = [found[k] for k in found if k not in allowed]
    gone = sorted(k for k in allowed if k not in found)
    print("depth %d: %d cycle(s), %d listed in %s" %
          (args.depth, len(found), len(allowed), args.allow))
    for k in known:
        print("  known:  %d %s" % (args.depth, " ".join(k)))
    for k in gone:
        # Also what a listed cycle that lost (or gained) members looks like.
        print("  GONE:   %d %s  (%s:%d matches no cycle any more: remove the "
              "line; if part of it is still a cycle, that part is printed "
              "below as NEW and replaces the line)" %
              (args.depth, " ".join(k), args.allow, allowed[k]))
    for i, comp in enumerate(new, 1):
        print()
        print("NEW cycle, not in %s (break it; the list may only shrink):" % args.allow)
        print_cycle(i, comp, adj, edges, args.max_locs)
    return 1 if new or gone else 0


def print_cycle(i, comp, adj, edges, max_locs):
    members = set(comp)
    print("[%d] %s" % (i, " <-> ".join(mod_name(m) for m in comp)))
    for s in comp:
        for d in sorted(adj[s]):
            if d not in members:
                continue
            locs = edges[(s, d)]
            total = sum(len(v) for v in locs.values())
            print("  %s -> %s  (%d refs)" % (mod_name(s), mod_name(d), total))
            for path in sorted(locs):
                items = sorted(locs[path])
                shown = items if not max_locs else items[:max_locs]
                txt = ", ".join(
                    "%d%s" % (ln, "" if tag == "use" else " (%s)" % tag)
                    for ln, tag in shown)
                more = "" if len(shown) == len(items) else \
                    ", ... +%d" % (len(items) - len(shown))
                print("      %s:%s%s" % (path, txt, more))


if __name__ == "__main__":
    sys.exit(main())
