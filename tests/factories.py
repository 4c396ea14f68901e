import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.roles import Role
from tickets import services
from tickets.models import Queue, QueueMember, Severity


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def role(self, create, value, **kwargs):
        if create and value:
            self.groups.set([Group.objects.get(name=Role(value).value)])
            self.is_staff = value == Role.ADMIN

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()  # keeps the password and staff flag set above


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Queue {n}")
    slug = factory.Sequence(lambda n: f"queue-{n}")

    @factory.post_generation
    def members(self, create, value, **kwargs):
        for user in value or []:
            QueueMember.objects.create(queue=self, user=user)


def severity(name: str = "SEV3") -> Severity:
    return Severity.objects.get(name=name)


class TicketFactory(factory.Factory):
    """Tickets are made through the service, as everywhere else, so they carry their timeline."""

    class Meta:
        model = dict

    requester = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Something is broken #{n}")
    description = "It used to work."
    queue = factory.SubFactory(QueueFactory)
    severity = factory.LazyFunction(lambda: severity("SEV3"))

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.ticket_create(**kwargs)

    _build = _create
