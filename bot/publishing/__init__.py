"""Publishing: the pure posting plan (steps and payloads within Discord's limits)."""

from bot.publishing.plan import (
    Destination,
    PlanError,
    PreviewItem,
    Request,
    Step,
    StepResult,
    build_request,
    count_requests,
    plan_publication,
    preview,
    render_step,
    target,
)

__all__ = [
    "Destination",
    "PlanError",
    "PreviewItem",
    "Request",
    "Step",
    "StepResult",
    "build_request",
    "count_requests",
    "plan_publication",
    "preview",
    "render_step",
    "target",
]
