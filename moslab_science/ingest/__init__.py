"""Reading stimuli (images, MP4 and WebM videos) from a folder or zip with a CSV manifest: plain Python, no Django.

`plan_import` checks everything first and reports every problem at once, so that the service
that writes can do it all or nothing.
"""
from moslab_science.ingest.images import ImageInfo, inspect_image
from moslab_science.ingest.manifest import StimulusMeta, read_manifest
from moslab_science.ingest.media import MediaInfo, MediaProblem, inspect_media
from moslab_science.ingest.plan import ImportPlan, ImportRejected, PlannedStimulus, plan_import
from moslab_science.ingest.sources import SourceFile, read_source

__all__ = [
    "ImageInfo",
    "ImportPlan",
    "ImportRejected",
    "MediaInfo",
    "MediaProblem",
    "PlannedStimulus",
    "SourceFile",
    "StimulusMeta",
    "inspect_image",
    "inspect_media",
    "plan_import",
    "read_manifest",
    "read_source",
]
