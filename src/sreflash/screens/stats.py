"""Statistics: today, the forecast, the review heatmap, retention and weak cards."""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Static
from textual_plotext import PlotextPlot

from sreflash.screens.base import AppScreen
from sreflash.stats import Retention, Stats, compute_stats

# GitHub-like greens, from no reviews to the busiest days.
HEAT = ("#2d333b", "#0e4429", "#006d32", "#26a641", "#39d353")
WEEKDAYS = ("Mon", "", "Wed", "", "Fri", "", "Sun")
# A weak card's prompt is a reminder, not the question: two lines at most at 80.
PROMPT_CHARS = 48


class StatsScreen(AppScreen):
    """Every figure of ``sreflash stats``, with pictures where they help."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh"),
        Binding("escape,q", "app.pop_screen", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.stats: Stats | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="stats"):
            yield Static(id="stats-today")
            with Horizontal(id="stats-charts"):
                yield PlotextPlot(id="stats-forecast")
                yield Static(id="stats-heatmap")
            yield Static(id="stats-retention")
            yield Static(id="stats-weak")
            yield PlotextPlot(id="stats-mocks")
            yield Static(id="stats-labs")
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        """Compute the figures again and redraw."""
        self.stats = stats = compute_stats(self.sreflash.context.study)

        self.query_one("#stats-today", Static).update(today_text(stats))
        self._forecast(stats)
        self.query_one("#stats-heatmap", Static).update(heatmap(stats))
        self.query_one("#stats-retention", Static).update(retention_table(stats))
        self.query_one("#stats-weak", Static).update(weak_table(stats))
        self._mocks(stats)
        self.query_one("#stats-labs", Static).update(labs_text(stats))

    def _forecast(self, stats: Stats) -> None:
        plot = self.query_one("#stats-forecast", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        counts = [n for _, n in stats.forecast]
        plt.bar(list(range(len(counts))), counts)
        # Whole cards only: plotext would label a small axis 0.17, 0.33, ...
        step = max(1, -(-max(counts) // 5))
        plt.yticks(list(range(0, max(counts) + step, step)))
        plt.title("Due in the next 30 days")
        plt.xlabel("days from today")
        plot.refresh()

    def _mocks(self, stats: Stats) -> None:
        plot = self.query_one("#stats-mocks", PlotextPlot)
        plot.display = bool(stats.mocks)
        if not stats.mocks:
            return
        plt = plot.plt
        plt.clear_data()
        scores = [round(m.score * 100) for m in stats.mocks]
        numbers = list(range(1, len(scores) + 1))
        plt.plot(numbers, scores, marker="braille")
        # A mark per session: a lone braille dot is all but invisible.
        plt.scatter(numbers, scores, marker="●")
        # Whole mock numbers, at most about ten of them.
        plt.xticks([float(n) for n in numbers[:: max(1, -(-len(numbers) // 10))]])
        plt.ylim(0, 100)
        plt.yticks([0, 25, 50, 75, 100])
        plt.title("Mock interview scores (%)")
        plt.xlabel("mock number")
        plot.refresh()


def _shortened(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def today_text(stats: Stats) -> Text:
    """Today's counts, the collection and the streak."""
    t, c = stats.today, stats.collection
    month = stats.time[-1]
    text = Text()
    text.append("Today  ", style="bold")
    text.append(
        f"{t.reviews} reviews ({t.new} new, {t.again} again) in "
        f"{_minutes(t.seconds)}. Waiting: {t.waiting.new} new, "
        f"{t.waiting.learning} learning, {t.waiting.due} to review.\n"
    )
    text.append("Cards  ", style="bold")
    text.append(
        f"{c.cards}: {c.new} new, {c.learning} learning, {c.review} in review, "
        f"{c.suspended} suspended, {c.leeches} leeches.\n"
    )
    text.append("Habit  ", style="bold")
    text.append(
        f"studied {stats.days_studied} of the last {stats.streak_days} days; "
        f"{_minutes(month.seconds)} on {month.reviews} reviews in 30 days."
    )
    return text


def heatmap(stats: Stats) -> Text:
    """Reviews per day as a calendar: a column per week, a row per weekday."""
    counts = dict(stats.heatmap)
    first = min(counts)
    monday = first - timedelta(days=first.weekday())
    weeks = (stats.day - monday).days // 7 + 1
    busiest = max(counts.values()) or 1

    text = Text("Reviews, last 12 weeks\n", style="bold")
    for weekday in range(7):
        text.append(f"{WEEKDAYS[weekday]:>3} ", style="dim")
        for week in range(weeks):
            day = monday + timedelta(days=7 * week + weekday)
            if day not in counts:
                text.append("  ")
                continue
            n = counts[day]
            level = 0 if n == 0 else 1 + min(3, (4 * n - 1) // busiest)
            text.append("■ ", style=HEAT[level])
        text.append("\n")
    text.append("    less ", style="dim")
    for color in HEAT:
        text.append("■", style=color)
    text.append(f" more (busiest day: {max(counts.values())})", style="dim")
    return text


def _cell(r: Retention) -> str:
    return f"{_percent(r.rate)} of {r.total}"


def retention_table(stats: Stats) -> Table:
    """True retention, young and mature, over the last 7 and 30 days."""
    table = Table(
        title="True retention (first review of the day; Again fails)",
        title_justify="left",
        box=None,
        min_width=60,
    )
    table.add_column("")
    table.add_column("young (<21 d)", justify="right")
    table.add_column("mature", justify="right")
    table.add_column("all", justify="right")
    for w in stats.retention:
        table.add_row(
            f"last {w.days} days", _cell(w.young), _cell(w.mature), _cell(w.all)
        )
    return table


def weak_table(stats: Stats) -> Table | Text:
    """The cards with the most lapses and those least likely to be recalled."""
    if not stats.most_lapses and not stats.least_retrievable:
        return Text("Weakest cards: none yet.", style="dim")
    table = Table(title="Weakest cards", title_justify="left", box=None)
    # At 80 columns the prompt wraps and a long card id is cut; the figures and
    # their headings stay whole. (An unwrappable prompt made Rich squeeze the
    # figure columns to nothing.)
    table.add_column("card", no_wrap=True, overflow="ellipsis", max_width=28)
    table.add_column("lapses", justify="right", no_wrap=True)
    table.add_column("recall", justify="right", no_wrap=True)
    table.add_column("prompt")
    seen: set[str] = set()
    for weak in [*stats.most_lapses, *stats.least_retrievable]:
        if weak.card_id in seen:
            continue
        seen.add(weak.card_id)
        note = " (suspended)" if weak.suspended else ""
        table.add_row(
            weak.card_id,
            str(weak.lapses),
            _percent(weak.retrievability),
            _shortened(weak.prompt, PROMPT_CHARS) + note,
        )
    return table


def labs_text(stats: Stats) -> Text:
    """Lab checks passed and failed, per lab."""
    if not stats.labs:
        return Text(
            "Labs: no runs yet (l on the home screen, or sreflash lab run).",
            style="dim",
        )
    text = Text("Labs\n", style="bold")
    for lab in stats.labs:
        text.append(f"  {lab.lab_id}: ")
        text.append(f"{lab.passed} passed", style="green")
        text.append(", ")
        text.append(f"{lab.failed} failed", style="red" if lab.failed else "")
        text.append(
            f", {lab.cannot} could not be checked over {lab.runs} runs; "
            f"last run {_day(lab.last_run)}: {lab.last_passed} passed, "
            f"{lab.last_failed} failed.\n"
        )
    return text


def _day(stamp: str) -> str:
    try:
        return date.fromisoformat(stamp[:10]).isoformat()
    except ValueError:
        return stamp
