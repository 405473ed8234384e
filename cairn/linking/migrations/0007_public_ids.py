from django.db import migrations

from cairn.core.ids import public_ids


class Migration(migrations.Migration):
    """Match proposals, judgements and resolution runs are numbered by cairn_public_id(): their ids are in
    links and the API, and counted from one sequence the gap between two counted the proposals and
    judgements on records the viewer may not read, and everyone's runs."""

    dependencies = [("core", "0003_id_order"), ("linking", "0006_report_seq")]

    operations = [
        public_ids("linking_matchproposal", own_permutation=True),
        public_ids("linking_judgement", own_permutation=True),
        public_ids("linking_resolutionrun", own_permutation=True),
        # Proposals that score alike are offered first come, first served: by when, the id breaking ties.
        migrations.AlterModelOptions(
            name="matchproposal",
            options={
                "base_manager_name": "unscoped_objects",
                "default_manager_name": "unscoped_objects",
                "ordering": ["-cross_organisation", "-probability", "created_at", "id"],
            },
        ),
    ]
