"""Background jobs: one generic runner (:mod:`app.jobs.runner`) and the jobs panel."""

from app.jobs.runner import Job, JobRunner, JobStatus

__all__ = ["Job", "JobRunner", "JobStatus"]
