"""Fill an empty database with fictional inquiries at scale, for demonstrations and benchmarks."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from tracker.data_version import bump_data_version
from tracker.intake.demo_data import RealDataPresent, seed_demo, vacuum_and_analyse_tables
from tracker.jobs.overdue import flag_overdue


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Create N fictional inquiries (5 to 120 recommendations each) with owners, responses, "
        "deadlines that slip, published updates and demo contacts, all visibly fictional "
        "(“Demo inquiry 17”, “Example Department 4”, @example.org). Refuses to run on a database "
        "that holds other data unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--inquiries", type=positive, required=True, help="How many inquiries.")
        parser.add_argument(
            "--contacts", type=int, default=None, help="Demo contacts (default: one per owner)."
        )
        parser.add_argument(
            "--updates",
            type=positive,
            default=7,
            help="Published updates a recommendation, on average (default 7).",
        )
        parser.add_argument("--seed", type=int, default=2025, help="Random seed (default 2025).")
        parser.add_argument(
            "--force", action="store_true", help="Add demo data even beside other data."
        )

    def handle(self, *args, inquiries, contacts, updates, seed, force, **options):
        if contacts is not None and contacts < 0:
            raise CommandError("--contacts cannot be negative.")
        bar = tqdm(
            unit=" rows",
            file=self.stderr,
            disable=options["verbosity"] < 1,
            desc="Seeding demo data",
        )

        def on_total(total: int) -> None:
            bar.total = total
            bar.refresh()

        try:
            summary = seed_demo(
                inquiries,
                contacts=contacts,
                updates_per_recommendation=updates,
                seed=seed,
                force=force,
                on_total=on_total,
                progress=bar.update,
            )
        except RealDataPresent as refusal:
            raise CommandError(str(refusal)) from None
        finally:
            bar.close()
        result = flag_overdue(timezone.localdate())
        # After the last bulk write, so the planner sees the tables as they will stay.
        vacuum_and_analyse_tables()
        bump_data_version()
        self.stdout.write(str(summary))
        self.stdout.write(f"Overdue flags brought up to date: {result}")
