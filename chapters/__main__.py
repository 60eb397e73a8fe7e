"""``python -m chapters``: list, start, solution, check, finished, prove, lessons (see
chapters.tool)."""

from __future__ import annotations

import argparse
import sys

from chapters import tool


def _list(_options: argparse.Namespace) -> int:
    print("Running the checkpoints in order, up to the first check that fails...")
    found = tool.progress()
    print(f"\n  {'':3} {'chapter':<40} checkpoint")
    for chapter in tool.CHAPTERS:
        print(f"  {chapter.number:>2}. {chapter.title:<40} {_status(chapter, found)}")
    print()
    if found.error:
        print(f"The checkpoints could not run. pytest said:\n{found.error}")
    elif found.current is None:
        print("Every written checkpoint passes: you have done every chapter so far.")
    else:
        chapter = tool.chapter(found.current)
        print(f"You are on chapter {chapter.number}. The first check still to do:")
        for line in found.problem.splitlines():
            print(f"    {line}")
        print(f"`make chapter-{chapter.number}` lists every check of the chapter; its lesson is"
              f" chapters/{chapter.folder}/README.md.")  # fmt: skip
    return 0


def _status(chapter: tool.Chapter, found: tool.Progress) -> str:
    if not chapter.written:
        return "not written yet"
    if chapter.number in found.passed:
        return "passes"
    if chapter.number == found.current:
        return f"not yet: you are here (`make chapter-{chapter.number}` says why)"
    return "not checked yet" if found.error else "later"


def _switch(position: int, force: bool, reset: bool) -> int:
    written = tool.switch(position, _var_dir(), force=force)
    names = ", ".join(str(p.relative_to(tool.ROOT)) for p in written) or "none needed changing"
    print(f"The app is at {tool.describe(position)}. Files rewritten: {names}.")
    for line in tool.reset_dev_data() if reset else tool.kept_dev_data():
        print(f"  {line[0].upper()}{line[1:]}.")
    return 0


def _start(options: argparse.Namespace) -> int:
    chapter = tool.chapter(options.number)
    code = _switch(chapter.number, options.force, reset=True)
    print(f"\nNow read chapters/{chapter.folder}/README.md: the `TODO chapter {chapter.number}`"
          f" lines in the code mark where you write. `make chapter-{chapter.number}` checks"
          " your work.")  # fmt: skip
    return code


def _solution(options: argparse.Namespace) -> int:
    chapter = tool.chapter(options.number)
    return _switch(chapter.number + 1, options.force, reset=False)


def _finished(options: argparse.Namespace) -> int:
    return _switch(tool.FINISHED, options.force, reset=False)


def _check(options: argparse.Namespace) -> int:
    return 0 if tool.check(tool.chapter(options.number).number, verbose=options.verbose) else 1


def _prove(_options: argparse.Namespace) -> int:
    from chapters.prove import prove

    return prove()


def _lessons(_options: argparse.Namespace) -> int:
    from chapters.lessons import main as run_lessons

    return run_lessons()


def _var_dir() -> tool.Path:
    from jobs.dev.project_redis import default_var_dir

    return default_var_dir()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chapters",
        description=tool.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("list", help="where you are: the checkpoints, up to the first that fails")
    for name, run in (("start", _start), ("solution", _solution), ("check", _check)):
        command = commands.add_parser(name)
        command.add_argument("number", type=int)
        command.set_defaults(run=run)
        if name == "check":
            command.add_argument("-v", "--verbose", action="store_true", help="pytest's details")
        else:
            command.add_argument("--force", action="store_true", help="overwrite your changes")
    commands.add_parser("finished").add_argument("--force", action="store_true")
    commands.choices["finished"].set_defaults(run=_finished)
    commands.choices["list"].set_defaults(run=_list)
    commands.add_parser("prove", help="CI: checkpoints fail at the start, pass when done")
    commands.choices["prove"].set_defaults(run=_prove)
    commands.add_parser("lessons", help="CI: run every command of the lessons, as written")
    commands.choices["lessons"].set_defaults(run=_lessons)
    options = parser.parse_args(argv)
    run = getattr(options, "run", _list)
    try:
        return int(run(options))
    except tool.ChapterError as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
