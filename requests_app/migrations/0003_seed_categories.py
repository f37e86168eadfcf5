"""The kinds of help the mutual-aid seeds name, translated into the network's languages.
They are data: coordinators can rename, reorder, add or retire them in the admin."""

from django.db import migrations

LANGS = ["en", "es", "pt_br", "ht", "zh_hans", "ar"]

# slug: {language: (name, short description)}
CATEGORIES = {
    "groceries": {
        "en": ("Groceries and supplies", "Food, diapers, soap and other things from the store."),
        "es": ("Comestibles y artículos básicos", "Comida, pañales, jabón y otras cosas de la tienda."),
        "pt_br": ("Mercado e itens básicos", "Comida, fraldas, sabonete e outras coisas do mercado."),
        "ht": ("Manje ak pwovizyon", "Manje, kouchèt, savon ak lòt bagay nan magazen."),
        "zh_hans": ("食品和日用品", "食物、尿布、肥皂和其他商店里的东西。"),
        "ar": ("البقالة والمستلزمات", "طعام وحفاضات وصابون وأشياء أخرى من المتجر."),
    },
    "meals": {
        "en": ("Food delivery and meals", "A cooked meal, or food brought to your door."),
        "es": ("Comidas y entrega de comida", "Una comida preparada, o comida llevada a su puerta."),
        "pt_br": ("Refeições e entrega de comida", "Uma refeição pronta, ou comida levada até a sua porta."),
        "ht": ("Repa ak livrezon manje", "Yon repa kwit, oswa manje yo pote jis devan pòt ou."),
        "zh_hans": ("送餐和饭菜", "做好的饭菜，或把食物送到您家门口。"),
        "ar": ("الوجبات وتوصيل الطعام", "وجبة مطبوخة، أو طعام يصل إلى باب بيتك."),
    },
    "rent-utilities": {
        "en": ("Rent and utilities money", "Help paying rent, electricity, heat, water or phone."),
        "es": ("Dinero para renta y servicios", "Ayuda para pagar la renta, la luz, la calefacción, el agua o el teléfono."),
        "pt_br": ("Dinheiro para aluguel e contas", "Ajuda para pagar aluguel, luz, aquecimento, água ou telefone."),
        "ht": ("Lajan pou lwaye ak kouran", "Èd pou peye lwaye, kouran, chofaj, dlo oswa telefòn."),
        "zh_hans": ("房租和水电费", "帮忙支付房租、电费、暖气费、水费或电话费。"),
        "ar": ("مال للإيجار والفواتير", "مساعدة في دفع الإيجار أو الكهرباء أو التدفئة أو الماء أو الهاتف."),
    },
    "childcare": {
        "en": ("Childcare", "Someone to look after children for a while."),
        "es": ("Cuidado de niños", "Alguien que cuide a los niños por un rato."),
        "pt_br": ("Cuidado de crianças", "Alguém para cuidar das crianças por um tempo."),
        "ht": ("Gade timoun", "Yon moun pou okipe timoun yo pou yon ti tan."),
        "zh_hans": ("照看孩子", "有人帮忙照看孩子一段时间。"),
        "ar": ("رعاية الأطفال", "شخص يعتني بالأطفال لبعض الوقت."),
    },
    "pets": {
        "en": ("Pet care and dog walking", "Walking, feeding or caring for a pet."),
        "es": ("Cuidado de mascotas y paseo de perros", "Pasear, alimentar o cuidar a una mascota."),
        "pt_br": ("Cuidado de animais e passeio com cães", "Passear, alimentar ou cuidar de um animal de estimação."),
        "ht": ("Swen bèt ak pwomennen chen", "Pwomennen, bay manje oswa pran swen yon bèt."),
        "zh_hans": ("照顾宠物和遛狗", "遛狗、喂宠物或照顾宠物。"),
        "ar": ("رعاية الحيوانات الأليفة وتمشية الكلاب", "تمشية حيوان أليف أو إطعامه أو رعايته."),
    },
    "companionship": {
        "en": ("Conversation and companionship", "A friendly phone call or visit."),
        "es": ("Conversación y compañía", "Una llamada o visita amistosa."),
        "pt_br": ("Conversa e companhia", "Uma ligação ou visita amiga."),
        "ht": ("Konvèsasyon ak konpayi", "Yon apèl oswa yon vizit zanmi."),
        "zh_hans": ("聊天和陪伴", "一个友好的电话或探访。"),
        "ar": ("الحديث والرفقة", "مكالمة أو زيارة ودية."),
    },
    "medical": {
        "en": ("Medical advice", "Questions for a volunteer nurse or doctor."),
        "es": ("Consejo médico", "Preguntas para una enfermera o un médico voluntario."),
        "pt_br": ("Orientação médica", "Perguntas para um enfermeiro ou médico voluntário."),
        "ht": ("Konsèy medikal", "Kesyon pou yon enfimyè oswa yon doktè volontè."),
        "zh_hans": ("医疗建议", "向志愿者护士或医生提问。"),
        "ar": ("نصيحة طبية", "أسئلة لممرض أو طبيب متطوع."),
    },
    "mental-health": {
        "en": ("Mental health support", "Someone to talk to when things are hard."),
        "es": ("Apoyo de salud mental", "Alguien con quien hablar cuando las cosas están difíciles."),
        "pt_br": ("Apoio à saúde mental", "Alguém para conversar quando as coisas estão difíceis."),
        "ht": ("Sipò pou sante mantal", "Yon moun pou pale avè l lè bagay yo difisil."),
        "zh_hans": ("心理健康支持", "在困难的时候，有人陪您说说话。"),
        "ar": ("دعم الصحة النفسية", "شخص تتحدث معه عندما تكون الأمور صعبة."),
    },
    "social-services": {
        "en": ("Social services guidance", "Help finding programs and services and applying for them."),
        "es": ("Orientación sobre servicios sociales", "Ayuda para encontrar programas y servicios, y para solicitarlos."),
        "pt_br": ("Orientação sobre serviços sociais", "Ajuda para encontrar programas e serviços e se inscrever neles."),
        "ht": ("Gid pou sèvis sosyal", "Èd pou jwenn pwogram ak sèvis, epi pou aplike pou yo."),
        "zh_hans": ("社会服务指导", "帮您找到并申请各种项目和服务。"),
        "ar": ("الإرشاد إلى الخدمات الاجتماعية", "مساعدة في إيجاد البرامج والخدمات والتقديم عليها."),
    },
    "transportation": {
        "en": ("Transportation", "A ride to an appointment, the store or work."),
        "es": ("Transporte", "Un viaje a una cita, a la tienda o al trabajo."),
        "pt_br": ("Transporte", "Uma carona para uma consulta, o mercado ou o trabalho."),
        "ht": ("Transpò", "Yon woulib pou ale nan yon randevou, nan magazen oswa nan travay."),
        "zh_hans": ("交通", "搭车去看病、去商店或去上班。"),
        "ar": ("المواصلات", "توصيلة إلى موعد أو إلى المتجر أو إلى العمل."),
    },
    "household": {
        "en": ("Household items", "Furniture, bedding, kitchen things, clothes."),
        "es": ("Artículos para el hogar", "Muebles, ropa de cama, cosas de cocina, ropa."),
        "pt_br": ("Itens para a casa", "Móveis, roupa de cama, coisas de cozinha, roupas."),
        "ht": ("Bagay pou kay", "Mèb, dra, bagay pou kizin, rad."),
        "zh_hans": ("家居用品", "家具、床上用品、厨房用品、衣服。"),
        "ar": ("أغراض منزلية", "أثاث وأغطية أسرّة وأدوات مطبخ وملابس."),
    },
    "other": {
        "en": ("Other", "Anything else: tell us in your own words."),
        "es": ("Otra cosa", "Cualquier otra cosa: cuéntenos con sus propias palabras."),
        "pt_br": ("Outra coisa", "Qualquer outra coisa: conte com suas próprias palavras."),
        "ht": ("Lòt bagay", "Nenpòt lòt bagay: di nou sa ak pwòp mo pa w."),
        "zh_hans": ("其他", "其他任何需要：请用您自己的话告诉我们。"),
        "ar": ("شيء آخر", "أي شيء آخر: أخبرنا بكلماتك."),
    },
}


def seed(apps, schema_editor):
    Category = apps.get_model("requests_app", "Category")
    for order, (slug, texts) in enumerate(CATEGORIES.items(), start=1):
        fields = {"name": texts["en"][0], "description": texts["en"][1], "order": order * 10}
        for lang in LANGS:
            fields[f"name_{lang}"], fields[f"description_{lang}"] = texts[lang]
        Category.objects.update_or_create(slug=slug, defaults=fields)


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0002_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
