"""SQLAlchemy models: persistence only. Importing this package registers every table."""

from lms.models.base import Base
from lms.models.certificates import Certificate, CertificateEvent, ExpiryReminder, SerialCounter
from lms.models.cohorts import (
    Assignment,
    AuditEvent,
    Cohort,
    CohortInstructor,
    CohortInvitation,
    CohortMember,
    Organisation,
    RosterUpload,
)
from lms.models.enrolment import Enrolment
from lms.models.figures import CourseEvaluation, FiguresChange, FiguresEnrolment, KnowledgeTest
from lms.models.hours import (
    HeartbeatTab,
    HoursAdjustment,
    LearnerClock,
    LessonCredit,
    MarkChange,
    WorkshopMark,
    WorkshopSession,
)
from lms.models.jobs import Job
from lms.models.quizzes import QuizAttempt, QuizGrant, QuizRequest
from lms.models.users import ORGANISATION_TYPES, PROVINCES, ROLES, User

__all__ = [
    "FiguresChange",
    "FiguresEnrolment",
    "Assignment",
    "AuditEvent",
    "Cohort",
    "CohortInstructor",
    "CohortInvitation",
    "CohortMember",
    "Organisation",
    "RosterUpload",
    "Certificate",
    "CertificateEvent",
    "ExpiryReminder",
    "SerialCounter",
    "HeartbeatTab",
    "HoursAdjustment",
    "LearnerClock",
    "LessonCredit",
    "MarkChange",
    "WorkshopMark",
    "WorkshopSession",
    "ORGANISATION_TYPES",
    "PROVINCES",
    "ROLES",
    "Base",
    "Enrolment",
    "CourseEvaluation",
    "KnowledgeTest",
    "Job",
    "QuizAttempt",
    "QuizGrant",
    "QuizRequest",
    "User",
]
