from modeltranslation.translator import TranslationOptions, register

from volunteers.models import Pod


@register(Pod)
class PodTranslationOptions(TranslationOptions):
    fields = ("name", "description")
