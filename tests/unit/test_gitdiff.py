"""The `git diff -U0` reader behind --diff: hunk ranges, content lines that look like headers,
deletions, quoted names, untracked directories."""

from __future__ import annotations

from archport.gitdiff import ChangedLines, _unquote, parse_diff

PATCH = b"""diff --git a/src/a.c b/src/a.c
index 1111111..2222222 100644
--- a/src/a.c
+++ b/src/a.c
@@ -3 +3 @@ int f(void)
-old line
+new line
@@ -10,2 +9,0 @@
-gone
-gone too
@@ -20,0 +20,3 @@
+++ looks like a header
+--- and so does this
+@@ -1 +1 @@ and this
diff --git a/dead.c b/dead.c
deleted file mode 100644
--- a/dead.c
+++ /dev/null
@@ -1,2 +0,0 @@
--- a removed line that looks like a header
-x
diff --git a/old name.c b/new.c
similarity index 90%
rename from old name.c
rename to new.c
--- a/old name.c
+++ b/new.c
@@ -5 +5,2 @@
-a
\\ No newline at end of file
+a
+b
diff --git "a/q\\"uo\\tte\\303\\251.c" "b/q\\"uo\\tte\\303\\251.c"
--- "a/q\\"uo\\tte\\303\\251.c"
+++ "b/q\\"uo\\tte\\303\\251.c"
@@ -0,0 +1 @@
+x
diff --git a/pure-rename.c b/moved.c
similarity index 100%
rename from pure-rename.c
rename to moved.c
"""


def test_ranges_per_new_path():
    ranges = parse_diff(PATCH)
    assert ranges["src/a.c"] == [(3, 3), (20, 22)]  # the pure deletion adds no range
    assert ranges["new.c"] == [(5, 6)]
    assert ranges['q"uo\tte\u00e9.c'] == [(1, 1)]
    assert "dead.c" not in ranges and "/dev/null" not in ranges
    assert "moved.c" not in ranges  # a pure rename changes no line
    assert set(ranges) == {"src/a.c", "new.c", 'q"uo\tte\u00e9.c'}


def test_unquote():
    assert _unquote(b'"b/a\\tb\\\\c\\"d"') == b'b/a\tb\\c"d'
    assert _unquote(b'"b/\\303\\251"').decode() == "b/\u00e9"


def test_changed_lines_lookup():
    changed = ChangedLines(
        ref="HEAD", prefix="sub/", ranges={"sub/a.c": [(3, 3), (20, 22)]},
        untracked=frozenset({"sub/new.c", "sub/gen/"}),
    )
    assert [line for line in range(1, 25) if changed.is_changed("a.c", line)] == [3, 20, 21, 22]
    assert changed.is_changed("new.c", 99)
    assert changed.is_changed("gen/deep/x.c", 1)
    assert not changed.is_changed("gen.c", 1)
    assert not changed.is_changed("other.c", 1)
    assert ChangedLines(ref="HEAD", prefix="", everything=True).is_changed("any.c", 1)
