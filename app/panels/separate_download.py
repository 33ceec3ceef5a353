"""Downloading a Demucs model from the Separate panel (a job: progress, cancel, resume)."""

from __future__ import annotations

from typing import Any

from app.panels.separate_jobs import MODEL_LABELS


def _download(name: str, *, progress=None, cancel=None) -> Any:
    from core import models

    return models.download(name, progress=progress, cancel=cancel)


def model_size_mb(name: str) -> float:
    from core import models

    try:
        return sum(f.size or 0 for f in models.get(name).files) / 1e6
    except Exception:  # unknown size: the label just leaves it out
        return 0.0


class DownloadMixin:
    """The Download button's behaviour for :class:`~app.panels.separate_panel.SeparatePanel`
    (which provides ``download_bar``, ``model_info()``, ``refresh_models()`` and ``say()``)."""

    # -- downloading -------------------------------------------------------------------------------
    def download_model(self) -> Any:
        m = self.model_info()
        if m is None or m.installed or self.download_job is not None:
            return None
        self.download_bar.setValue(0)
        self.download_bar.setFormat("starting…")
        self.download_job = self.host.runner.submit(
            f"Download {MODEL_LABELS.get(m.name, m.name)}", _download, m.name,
            on_result=self._downloaded, on_error=self._download_failed,
            on_cancel=self._download_cancelled, options={"model": m.name})
        self._update_controls()
        return self.download_job

    def cancel_download(self) -> None:
        if self.download_job is not None:
            self.host.runner.cancel(self.download_job.id)

    def _job_changed(self, job: Any) -> None:
        if self.download_job is not None and job.id == self.download_job.id:
            f = job.fraction
            if f is None:
                self.download_bar.setRange(0, 0)
            else:
                self.download_bar.setRange(0, 1000)
                self.download_bar.setValue(int(f * 1000))
                self.download_bar.setFormat(f"{f * 100:.0f} %")
            self.download_bar.setToolTip(job.message)

    def _downloaded(self, _path: Any) -> None:
        self.download_job = None
        self.refresh_models()
        self.say(f"{MODEL_LABELS.get(self.model_name(), self.model_name())} is downloaded "
                 "and ready.")

    def _download_failed(self, message: str) -> None:
        self.download_job = None
        self.say(f"Download failed: {message}", error=True)
        self.refresh_models()

    def _download_cancelled(self) -> None:
        self.download_job = None
        self.say("Download cancelled; it resumes where it stopped next time.")
        self.refresh_models()
