"""The parts of :mod:`watcher.diff`: word diffs, section alignment, moves, classification.

:mod:`watcher.diff` is the public surface; these modules are its rooms:

* :mod:`.words` — word-token diffs with diff-match-patch, paragraph and
  sentence anchoring so that large texts stay fast, and splicing of moved
  paragraphs into a section's hunks;
* :mod:`.align` — matching the sections of two outlines (renumbered,
  reordered, retitled, split, merged) and finding the ones that moved;
* :mod:`.moves` — paragraphs that left one place and appear in another;
* :mod:`.classify` — cosmetic / editorial / substantive, word counts,
  privacy-term flags and the stated "last updated" date.
"""
