from django.db import models


class EntityKind(models.TextChoices):
    PERSON = "person", "Person"
    ORGANISATION = "organisation", "Organisation"
    LOCATION = "location", "Location"
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    VEHICLE = "vehicle", "Vehicle"
    DOCUMENT = "document", "Identity document"
    BANK_ACCOUNT = "bank_account", "Bank account"
    ONLINE_PROFILE = "online_profile", "Online profile or advert"
    EVENT = "event", "Event"


class PremisesType(models.TextChoices):
    RESIDENCE = "residence", "Residence"
    MASSAGE_PARLOUR = "massage_parlour", "Massage parlour"
    SAUNA = "sauna", "Sauna"
    NAIL_BAR = "nail_bar", "Nail bar"
    CAR_WASH = "car_wash", "Car wash"
    HOTEL = "hotel", "Hotel"
    FARM = "farm", "Farm"
    FACTORY = "factory", "Factory"
    RESTAURANT = "restaurant", "Restaurant or takeaway"
    CANNABIS_FARM = "cannabis_farm", "Cannabis farm"
    OTHER = "other", "Other"


class Property(models.TextChoices):
    """What a statement asserts about its entity."""

    SUBJECT = "subject", "Subject of the report"  # role says how
    NAME = "name", "Name"
    DATE_OF_BIRTH = "date_of_birth", "Date of birth"
    NATIONALITY = "nationality", "Nationality"
    IDENTIFIER = "identifier", "Identifier"  # the normalised selector itself
    PREMISES_TYPE = "premises_type", "Premises type"
    NOTE = "note", "Note"
    # Relationships: the statement's related_entity is the other end.
    ASSOCIATE_OF = "associate_of", "Associate of"
    FAMILY_OF = "family_of", "Family of"
    CONTROLS = "controls", "Controls"
    LIVES_AT = "lives_at", "Lives at"
    WORKS_AT = "works_at", "Works at"
    USES = "uses", "Uses"
    OWNS = "owns", "Owns"
    TRAVELLED_WITH = "travelled_with", "Travelled with"
    PAID = "paid", "Paid"
    EXPLOITED_AT = "exploited_at", "Exploited at"
    HAS_MEMBER = "has_member", "Has member"  # a crime group (organisation) and one of its members


RELATIONSHIPS = frozenset(
    {
        Property.ASSOCIATE_OF,
        Property.FAMILY_OF,
        Property.CONTROLS,
        Property.LIVES_AT,
        Property.WORKS_AT,
        Property.USES,
        Property.OWNS,
        Property.TRAVELLED_WITH,
        Property.PAID,
        Property.EXPLOITED_AT,
        Property.HAS_MEMBER,
    }
)


class SubjectRole(models.TextChoices):
    SUSPECT = "suspect", "Suspect"
    VICTIM = "victim", "Potential victim"
    ASSOCIATE = "associate", "Associate"
    WITNESS = "witness", "Witness"
    OWNER = "owner", "Owner"
    USER = "user", "User"
    OCCUPIER = "occupier", "Occupier"
    LOCATION = "location", "Location of events"
    OTHER = "other", "Other"


# The kind of entity each extracted selector kind becomes.
SELECTOR_ENTITY_KIND = {
    "phone": EntityKind.PHONE,
    "email": EntityKind.EMAIL,
    "vrm": EntityKind.VEHICLE,
    "postcode": EntityKind.LOCATION,
    "address": EntityKind.LOCATION,
    "iban": EntityKind.BANK_ACCOUNT,
    "bank_account": EntityKind.BANK_ACCOUNT,
    "document": EntityKind.DOCUMENT,
    "url": EntityKind.ONLINE_PROFILE,
    "person_name": EntityKind.PERSON,
}
