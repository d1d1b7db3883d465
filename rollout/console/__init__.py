"""The rollout console: the pages a rollout manager runs the rollout from (a wave, its cohorts and
gates, the wave's lifecycle actions, cohort activation and its job, idle-seat reclamation, the
plan), and what coordinators, finance and readers may see of them.

Every page that acts is a `config.console.ActionPage` calling the one service the API calls
(`rollout.services`); the confirmation steps take their figures from the licensing cost engine
(`effects.py`). The routes are in `config/web_urls.py` (namespace `web`), the templates under
`templates/rollout/`; who may open what is the table in docs/pages.md."""
