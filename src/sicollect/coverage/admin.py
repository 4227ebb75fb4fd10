from django.contrib import admin

from . import models

for model in (models.VoluntaryRule, models.VoluntarySupport, models.HouseholdRule, models.VoluntaryEnrolment,
              models.Household, models.HouseholdMember, models.CollectionAgent, models.AgentReceipt,
              models.SpecialGroupMember):
    admin.site.register(model)
