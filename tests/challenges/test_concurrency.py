"""Submission limits hold when a team's members submit at the same moment."""
import threading

import pytest
from django.db import connection

from challenges import services
from challenges.models import Submission
from challenges.submission_services import submission_submit
from common.errors import DomainError

from .conftest import phase, predictions_csv


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_submits_with_a_limit_of_three_accept_exactly_three(challenge, coordinator, make_user):
    """PostgreSQL: a row lock on the team; SQLite: the database write lock taken first. Either way, three."""
    dev = services.phase_update(phase=phase(challenge, "development"), by=coordinator, max_per_day=3, max_total=10)
    lead = make_user("lead")
    services.participant_register(challenge=challenge, user=lead, accept_terms=True)
    team = services.team_create(challenge=challenge, name="Crowd", by=lead)
    members = [lead]
    for index in range(7):
        member = make_user(f"member{index}")
        services.participant_register(challenge=challenge, user=member, accept_terms=True)
        services.team_join(challenge=challenge, join_code=team.join_code, by=member)
        members.append(member)
    barrier = threading.Barrier(len(members))
    accepted, refused, errors = [], [], []

    def work(seed, user):
        try:
            barrier.wait()
            accepted.append(submission_submit(phase=dev, by=user, filename="p.csv",
                                              content=predictions_csv("val", noise=0.2, seed=seed)).pk)
        except DomainError as error:
            refused.append(str(error))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(seed, user)) for seed, user in enumerate(members)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, f"{connection.vendor}: {errors}"
    assert len(accepted) == 3 and Submission.objects.filter(team=team).count() == 3
    assert len(refused) == 5 and all("used its 3 submission(s) of today" in message for message in refused)
