from modeltranslation.translator import TranslationOptions, register

from requests_app.models import Category, Resource


@register(Category)
class CategoryTranslationOptions(TranslationOptions):
    fields = ("name", "description")


@register(Resource)
class ResourceTranslationOptions(TranslationOptions):
    fields = ("name", "description", "hours")
